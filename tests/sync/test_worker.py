"""One sync run: attachments first, records in batches, results applied, then the server's changes."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from pathlib import Path

import httpx
import pytest

from kiosk.store import outbox
from kiosk.store.attachments import photo_path
from kiosk.store.records import find_by_register_number
from kiosk.store.roster import find_by_nik
from kiosk.store.rules import load_program
from kiosk.store.sync_state import last_run, pull_cursor, set_pull_cursor, sync_lock
from sync.errors import AuthRejected, ServerBusy, SyncAlreadyRunning, Unreachable
from sync.protocol import ErrorCode, Limits, body_fingerprint
from sync.retry import Backoff, RetryPolicy
from tests.sync.fake_server import Stored, answer, cut, error

PUSH = "/v1/push"


def _states(kiosk) -> dict[str, str]:
    return dict(kiosk.db.execute("SELECT client_id, state FROM outbox").fetchall())


def _record_state(kiosk, client_id: str) -> str:
    for table in ("submissions", "complaints"):
        row = kiosk.db.execute(f"SELECT state FROM {table} WHERE client_id = ?", [client_id])
        found = row.fetchone()
        if found:
            return found[0]
    raise AssertionError(client_id)


def _pushes(server) -> int:
    return sum(1 for method, path, _ in server.log if (method, path) == ("POST", PUSH))


def test_a_run_drains_the_outbox_uploading_photos_before_their_records(
    kiosk, server, run, submit, complain
):
    ids = [submit(photos=2), submit(photos=1), submit(), complain()]
    report = run()
    assert report.is_complete, report.to_dict()
    assert (report.sent, report.duplicates, report.pending) == (4, 0, 0)
    assert set(server.records) == set(ids)
    assert set(_states(kiosk).values()) == {"sent"}
    assert {_record_state(kiosk, client_id) for client_id in ids} == {"synced"}
    assert report.attachments_uploaded == 3 and len(server.complete) == 3
    first_push = [path for _, path, _ in server.log].index(PUSH)
    assert all(method != "PUT" for method, _, _ in server.log[first_push:])
    assert last_run(kiosk.db)["last_success_at"] is not None


def test_a_second_run_sends_nothing_again(kiosk, server, run, submit):
    submit(photos=1)
    run()
    server.log.clear()
    report = run()
    assert report.is_complete and report.sent == 0
    assert [path for _, path, _ in server.log] == ["/v1/limits", "/v1/pull"]


def test_a_record_the_server_already_holds_counts_as_sent(kiosk, server, run, submit):
    client_id = submit()
    (row,) = outbox.due_rows(kiosk.db)
    server.records[client_id] = Stored("submission", body_fingerprint(row.body), row.body)
    report = run()
    assert (report.sent, report.duplicates, report.is_complete) == (1, 1, True)
    assert _record_state(kiosk, client_id) == "synced"


def test_a_rejected_record_is_quarantined_without_blocking_the_rest(kiosk, server, run, submit):
    bad = submit(applicant={"nik": "3174015708800002", "name": "Ditolak Server"})
    good = [submit(), submit()]
    server.reject = lambda body: body["applicant"]["name"] == "Ditolak Server"
    report = run()
    assert set(server.records) == set(good)
    assert report.sent == 2 and not report.is_complete
    assert [(item.client_id, item.code) for item in report.quarantined] == [(bad, "invalid_record")]
    assert report.quarantined_total == 1
    assert _states(kiosk)[bad] == "quarantined"
    assert _record_state(kiosk, bad) == "rejected"  # `kiosk status` tells the person at once
    (row,) = outbox.quarantined_rows(kiosk.db)
    assert row.last_error["en"] == "The NIK is not valid."
    # A rejection is never retried: the next run does not send it again.
    pushes = _pushes(server)
    run()
    assert _pushes(server) == pushes


def test_a_conflicting_record_is_quarantined_for_a_person_to_decide(kiosk, server, run, submit):
    client_id = submit()
    server.records[client_id] = Stored("submission", "another-version", {})
    report = run()
    assert [item.code for item in report.quarantined] == ["conflict"]
    assert _record_state(kiosk, client_id) == "queued"


def test_records_go_in_batches_within_the_advertised_limits(kiosk, server, run, submit):
    server.limits = Limits(max_batch_records=2)
    for _ in range(5):
        submit()
    report = run()
    assert report.sent == 5
    assert _pushes(server) == 3


def test_a_record_too_large_for_any_request_is_quarantined_unsent(kiosk, server, run, submit):
    small = submit()
    long_name = "Siti Rahmawati binti " + "Abdul " * 500
    large = submit(applicant={"nik": "3174011405090003", "name": long_name})
    server.limits = Limits(max_body_bytes=3000)
    report = run()
    assert [item.code for item in report.quarantined] == [ErrorCode.BODY_TOO_LARGE]
    assert large not in server.records and small in server.records


def _facts():
    return {
        "level": "sma",
        "collector": "parent",
        "recipient": "continuing",
        "private_school": False,
    }


def test_a_batch_refused_as_malformed_is_halved_until_the_bad_record_stands_alone(
    kiosk, server, run, submit
):
    ids = [submit() for _ in range(5)]
    bad = ids[3]

    def refuse_batches_with_the_bad_record(request: httpx.Request):
        if request.url.path == PUSH and bad.encode() in server_json(request):
            return error(400, ErrorCode.MALFORMED_REQUEST)
        return None

    server.before.append(refuse_batches_with_the_bad_record)
    report = run()
    assert set(server.records) == set(ids) - {bad}
    assert [item.client_id for item in report.quarantined] == [bad]


def server_json(request: httpx.Request) -> bytes:
    return gzip.decompress(request.content)


def test_photos_go_up_only_once_and_only_those_the_server_lacks(kiosk, server, run, submit):
    submit(photos=2)
    submit(photos=1)
    (row,) = [r for r in outbox.due_rows(kiosk.db) if len(r.attachments) == 2]
    server.complete.add(row.attachments[0])
    report = run()
    assert report.attachments_uploaded == 2


def test_a_photo_gone_from_the_device_quarantines_only_its_record(kiosk, server, run, submit):
    lost = submit(photos=1)
    kept = submit(photos=1)
    (row,) = [r for r in outbox.due_rows(kiosk.db) if r.client_id == lost]
    for path in (kiosk.data_dir / "attachments").rglob(f"{row.attachments[0]}.jpg"):
        path.unlink()
    report = run()
    assert [(i.client_id, i.code) for i in report.quarantined] == [
        (lost, "attachment_missing_on_device")
    ]
    assert set(server.records) == {kept}


def test_a_photo_over_the_servers_limit_is_quarantined_before_anything_is_sent(
    kiosk, server, run, submit
):
    submit(photos=1)
    server.limits = Limits(max_attachment_bytes=1000)
    report = run()
    assert [i.code for i in report.quarantined] == ["attachment_too_large"]
    assert not any(method == "PUT" for method, _, _ in server.log)


def test_a_record_the_server_asks_to_resend_waits_for_its_time(kiosk, server, run, submit):
    submit(photos=1)

    def forget_photos(request):
        if request.url.path == PUSH:
            server.complete.clear()
            server.attachments.clear()

    server.before.append(forget_photos)
    report = run()
    assert report.retry_later == 1 and report.pending == 1
    (row,) = outbox.due_rows(kiosk.db)
    assert row.error_code == "missing_attachments" and row.next_attempt_at > "2026-08-03T03:00"
    server.before.clear()
    assert run(respect_schedule=True).sent == 0  # the background job waits
    assert run().sent == 1  # a person pressing "sync now" does not


def test_an_answer_for_a_record_edited_in_flight_does_not_mark_the_new_version_sent(
    kiosk, server, run, submit
):
    client_id = submit()

    def edit_while_uploading(request):
        if request.url.path == PUSH:
            (row,) = kiosk.db.execute("SELECT body FROM outbox").fetchall()
            body = {**json.loads(row[0]), "facts": {**_facts(), "level": "smk"}}
            outbox.replace_body(kiosk.db, "submission", client_id, body, "2026-08-03T03:00:01")

    server.before.append(edit_while_uploading)
    report = run()
    assert report.stale == 1 and report.sent == 0
    assert _states(kiosk)[client_id] == "pending"
    assert _record_state(kiosk, client_id) == "queued"


# -- retrying only what may succeed later -------------------------------------------------


def test_full_jitter_backoff_stays_within_zero_and_the_capped_exponential():
    backoff = Backoff(base=1.0, cap=30.0)
    assert [backoff.delay(n, lambda: 0.999999) for n in range(7)] == pytest.approx(
        [1, 2, 4, 8, 16, 30, 30], rel=1e-5
    )
    assert backoff.delay(10, lambda: 0.0) == 0.0
    assert backoff.delay(3, lambda: 0.5) == 4.0


def test_transient_failures_are_retried_with_jittered_sleeps_then_succeed(
    kiosk, server, run, submit
):
    submit()
    server.before.append(answer(error(500, ErrorCode.MALFORMED_REQUEST), times=3, path=PUSH))
    run.draws = [0.25, 0.5, 1.0]
    run.policy = RetryPolicy(request=Backoff(base=2.0, cap=5.0), tries=4)
    report = run()
    assert report.is_complete
    assert run.sleeps == [0.25 * 2, 0.5 * 4, 1.0 * 5]  # draw × min(cap, base × 2^n)


def test_retry_after_is_honoured_even_when_the_jitter_draws_less(kiosk, server, run, submit):
    submit()
    busy = error(503, ErrorCode.OVERLOADED, headers={"Retry-After": "7"})
    server.before.append(answer(busy, path=PUSH))
    run.draws = [0.0]
    report = run()
    assert report.is_complete
    assert run.sleeps == [7.0]


def test_a_retry_after_longer_than_a_run_may_wait_ends_the_run_and_loses_nothing(
    kiosk, server, run, submit
):
    client_id = submit()
    server.before.append(
        answer(error(503, ErrorCode.OVERLOADED, headers={"Retry-After": "3600"}), path=PUSH)
    )
    report = run()
    assert isinstance(report.error, ServerBusy) and report.error.retry_after == 3600
    assert run.sleeps == []
    assert _states(kiosk) == {client_id: "pending"}
    assert last_run(kiosk.db)["last_error"]["code"] == "sync.server_busy"


def test_a_refusal_is_never_retried(kiosk, server, run, submit):
    submit()
    server.before.append(answer(error(400, ErrorCode.NOT_FOUND), times=10, path="/v1/limits"))
    report = run()
    assert report.error is not None and not report.error.retryable
    assert run.sleeps == [] and len(server.log) == 1


def test_an_unreachable_server_leaves_every_record_queued_with_the_attempt_counted(
    kiosk, server, run, submit
):
    ids = [submit(), submit()]
    server.before.append(cut(times=100, path=PUSH))
    report = run()
    assert isinstance(report.error, Unreachable)
    assert len(run.sleeps) == run.policy.tries - 1
    rows = outbox.due_rows(kiosk.db)
    assert [(row.client_id, row.attempts, row.next_attempt_at) for row in rows] == [
        (ids[0], 1, None),
        (ids[1], 1, None),
    ]
    server.before.clear()
    assert run().is_complete


def test_a_revoked_device_stops_with_that_reason_and_loses_nothing(kiosk, server, run, submit):
    client_id = submit()
    server.revoked = True
    report = run()
    assert isinstance(report.error, AuthRejected) and report.error.reason == "revoked"
    assert _states(kiosk) == {client_id: "pending"}
    assert last_run(kiosk.db)["last_error"]["code"] == "sync.revoked_device"


class Killed(BaseException):
    """A kill or power cut: nothing after it runs, not even except-clauses for Exception."""


def _kill_at(n: int):
    seen = [0]

    def fault(request, response=None):
        seen[0] += 1
        if seen[0] == n:
            raise Killed
        return response

    return fault


@pytest.mark.parametrize("after", [False, True], ids=["before-the-server-acts", "answer-lost"])
@pytest.mark.parametrize("kill_at", range(1, 18))  # every exchange of this run, limits to pull
def test_a_kill_at_any_exchange_loses_nothing_and_stores_nothing_twice(
    kiosk, server, run, submit, complain, kill_at, after
):
    server.limits = Limits(max_batch_records=2, chunk_bytes=20_000)
    ids = [submit(photos=2), submit(), submit(photos=1), complain()]
    fault = _kill_at(kill_at)
    (server.after if after else server.before).append(fault)
    with contextlib.suppress(Killed):
        run()
    (server.after if after else server.before).clear()
    report = run()
    assert report.is_complete, report.to_dict()
    assert set(server.records) == set(ids)
    assert set(server.stored_count.values()) == {1}
    assert set(_states(kiosk).values()) == {"sent"}


# -- what the server changed --------------------------------------------------------------


def _rules_text(kiosk) -> str:
    text = Path(load_program("pkh").source).read_text(encoding="utf-8")
    return text.replace('version = "2025.1"', 'version = "2026.2"')


def test_status_roster_and_rule_changes_are_applied_and_the_cursor_kept(kiosk, server, run, submit):
    client_id = submit()
    run()
    number = find_by_register_number_of(kiosk, client_id)
    server.add_change(
        "status",
        record_kind="submission",
        client_id=client_id,
        register_number=number,
        state="verified",
        note="Dokumen lengkap.",
    )
    entry = {"nik": "3174011405090003", "name": "Siti Rahmawati", "kk": "3174012001150004"}
    server.add_change("roster", program="kjp-plus", entry=entry, removed=False)
    server.add_change("rules", program="pkh", version="2026.2", text=_rules_text(kiosk))
    report = run()
    assert report.changes_applied == 3 and report.changes_skipped == 0
    found = find_by_register_number(kiosk.db, number)
    assert (found["state"], found["status_note"]) == ("verified", "Dokumen lengkap.")
    assert [e.name for e in find_by_nik(kiosk.db, entry["nik"], "kjp-plus")] == ["Siti Rahmawati"]
    assert load_program("pkh", kiosk.data_dir).version == "2026.2"
    assert pull_cursor(kiosk.db) == "3"
    server.add_change("roster", program="kjp-plus", entry={"nik": entry["nik"]}, removed=True)
    run()
    assert find_by_nik(kiosk.db, entry["nik"], "kjp-plus") == []


def find_by_register_number_of(kiosk, client_id: str) -> str:
    return kiosk.db.execute(
        "SELECT register_number FROM submissions WHERE client_id = ?", [client_id]
    ).fetchone()[0]


def test_an_invalid_rule_file_is_skipped_and_the_rules_in_force_stay(kiosk, server, run):
    server.add_change("rules", program="pkh", version="x", text="[program]\nid = 'kjp-plus'\n")
    server.add_change("roster", program="pkh", entry={"nik": "3174015708800002", "name": "Aminah"})
    report = run()
    assert (report.changes_applied, report.changes_skipped) == (1, 1)
    assert load_program("pkh", kiosk.data_dir).version == "2025.1"
    assert pull_cursor(kiosk.db) == "2"


def test_changes_and_their_cursor_are_stored_together_or_not_at_all(
    kiosk, server, run, submit, monkeypatch
):
    client_id = submit()
    run()
    before = pull_cursor(kiosk.db)
    server.add_change(
        "status", record_kind="submission", client_id=client_id, state="verified", note=None
    )
    server.add_change("roster", program="pkh", entry={"nik": "3174015708800002", "name": "Aminah"})

    def power_cut(*args, **kwargs):
        raise Killed

    monkeypatch.setattr("kiosk.store.sync_device.upsert_entries", power_cut)
    with pytest.raises(Killed):
        run()
    assert pull_cursor(kiosk.db) == before
    assert _record_state(kiosk, client_id) == "synced"
    monkeypatch.undo()
    run()
    assert pull_cursor(kiosk.db) == "2" and _record_state(kiosk, client_id) == "verified"


def test_pulling_goes_on_page_by_page_until_the_server_has_no_more(kiosk, server, run):
    server.limits = Limits(max_pull_changes=2)
    for n in range(5):
        nik = f"31740157088000{n + 10}"
        server.add_change("roster", program="pkh", entry={"nik": nik, "name": f"Orang {n}"})
    report = run()
    assert report.changes_applied == 5
    assert sum(1 for _, path, _ in server.log if path == "/v1/pull") == 3


def test_a_cursor_the_server_no_longer_knows_starts_the_download_again(kiosk, server, run):
    set_pull_cursor(kiosk.db, "forgotten")
    server.add_change("roster", program="pkh", entry={"nik": "3174015708800002", "name": "Aminah"})
    report = run()
    assert report.error is None and report.changes_applied == 1
    assert pull_cursor(kiosk.db) == "1"


def test_progress_reports_records_and_bytes_up_to_their_totals(kiosk, server, run, submit):
    submit(photos=2)
    submit()
    run()
    last = run.progress
    records = [p for p in last if p.phase == "records"]
    photos = [p for p in last if p.phase == "attachments"]
    assert (records[-1].records_done, records[-1].records_total) == (2, 2)
    assert photos[-1].bytes_done == photos[-1].bytes_total > 0
    assert [p.bytes_done for p in photos] == sorted(p.bytes_done for p in photos)


def test_only_one_process_syncs_a_device_at_a_time(kiosk, run, submit):
    submit()
    with sync_lock(kiosk.data_dir) as held:
        assert held
        report = run()
    assert isinstance(report.error, SyncAlreadyRunning)
    assert outbox.counts(kiosk.db)["pending"] == 1


def test_the_lock_is_free_again_after_a_run(kiosk, run, submit):
    submit()
    run()
    with sync_lock(kiosk.data_dir) as held:
        assert held


def test_a_run_stops_between_steps_when_asked(kiosk, server, run, submit):
    server.limits = Limits(max_batch_records=1)
    for _ in range(3):
        submit()
    stop = threading.Event()
    stop.set()
    report = run(should_stop=stop.is_set)
    assert report.sent == 0 and report.error is None and report.pending == 3


def test_retry_after_is_a_floor_with_jitter_above_it(kiosk, server, run, submit):
    submit()
    busy = error(503, ErrorCode.OVERLOADED, headers={"Retry-After": "7"})
    server.before.append(answer(busy, times=2, path=PUSH))
    run.draws = [0.5, 0.75]
    run.policy = RetryPolicy(request=Backoff(base=2.0, cap=30.0), tries=4)
    assert run().is_complete
    assert run.sleeps == [7 + 0.5 * 2, 7 + 0.75 * 4]  # Retry-After + draw × min(cap, base × 2^n)


def test_a_photo_the_server_lacks_is_sent_without_asking_where_to_start(kiosk, server, run, submit):
    server.limits = Limits(attachment_bundles=False)  # one by one, chunk by chunk
    submit(photos=2)
    assert run().attachments_uploaded == 2
    methods = [(method, path.split("/")[2]) for method, path, _ in server.log]
    assert ("GET", "attachments") not in methods
    assert methods.count(("PUT", "attachments")) == 2


def test_a_photo_held_in_part_goes_on_from_where_the_server_stands(kiosk, server, run, submit):
    server.limits = Limits(chunk_bytes=1024)
    submit(photos=1)
    [row] = outbox.due_rows(kiosk.db)
    [sha] = row.attachments
    data = photo_path(kiosk.data_dir, sha).read_bytes()
    server.attachments[sha] = bytearray(data[:2048])  # a cut upload of an earlier run
    assert run().is_complete
    assert bytes(server.attachments[sha]) == data
    sent = sum(size for method, _, size in server.log if method == "PUT")
    assert sent == len(data) - 2048 + 1024  # only the first chunk, refused, went twice
    assert ("GET", f"/v1/attachments/{sha}", 0) not in server.log  # bad_offset said where


def test_records_of_a_kind_the_server_does_not_take_wait_for_it(kiosk, server, run, submit):
    from kiosk.services.survey import record_survey_answer

    submit()
    record_survey_answer(kiosk, 5, flow="selfcheck", language="id")
    # A server from before survey answers: its limits do not say which kinds it takes.
    before_surveys = Limits().model_dump(mode="json")
    del before_surveys["record_kinds"]
    server.before.append(answer(httpx.Response(200, json=before_surveys), path="/v1/limits"))
    report = run()
    assert report.sent == 1 and report.pending == 1 and not report.is_complete
    assert {row.kind for row in outbox.due_rows(kiosk.db)} == {"survey"}
    report = run()  # the server was upgraded
    assert report.is_complete and report.sent == 1
    assert [stored.kind for stored in server.records.values()].count("survey") == 1


# -- bundles: several small photos in one request --------------------------------------------

BUNDLE = "/v1/attachments/bundle"


def _bundle_posts(server) -> int:
    return sum(1 for method, path, _ in server.log if (method, path) == ("POST", BUNDLE))


def test_small_photos_go_several_to_a_request(kiosk, server, run, submit):
    for _ in range(3):
        submit(photos=2)
    report = run()
    assert report.is_complete and report.attachments_uploaded == 6
    assert _bundle_posts(server) == server.bundles == 1
    assert not any(method == "PUT" for method, _, _ in server.log)
    assert len(server.records) == 3
    for sha in server.complete:
        assert bytes(server.attachments[sha]) == photo_path(kiosk.data_dir, sha).read_bytes()


def test_bundles_stay_within_the_advertised_body_and_count(kiosk, server, run, submit):
    for _ in range(4):
        submit(photos=2)
    sizes = [
        photo_path(kiosk.data_dir, sha).stat().st_size
        for r in outbox.due_rows(kiosk.db)
        for sha in r.attachments
    ]
    server.limits = Limits(max_bundle_photos=3, chunk_bytes=max(sizes), max_body_bytes=10**7)
    assert run().attachments_uploaded == 8
    assert server.bundles == 3  # 3 + 3 + 2
    server.log.clear()
    for _ in range(2):
        submit(photos=2)
    server.limits = Limits(chunk_bytes=max(sizes), max_body_bytes=2 * max(sizes) + 400)
    assert run().attachments_uploaded == 4
    sent = [size for method, path, size in server.log if (method, path) == ("POST", BUNDLE)]
    assert len(sent) >= 2 and max(sent) <= server.limits.max_body_bytes


def test_a_photo_bigger_than_a_chunk_goes_chunk_by_chunk_beside_the_bundles(
    kiosk, server, run, submit
):
    for _ in range(3):
        submit(photos=2)
    sizes = sorted(
        photo_path(kiosk.data_dir, sha).stat().st_size
        for r in outbox.due_rows(kiosk.db)
        for sha in r.attachments
    )
    server.limits = Limits(chunk_bytes=sizes[-2])  # only the largest is bigger than a chunk
    assert run().attachments_uploaded == 6
    assert server.bundles >= 1  # the five others, at most four chunks' worth to a bundle
    puts = [path for method, path, _ in server.log if method == "PUT"]
    assert len(puts) == 2 and len(set(puts)) == 1  # one photo, two chunks


def test_a_damaged_photo_in_a_bundle_quarantines_only_its_record(kiosk, server, run, submit):
    damaged = submit(photos=2)
    kept = submit(photos=2)
    (row,) = [r for r in outbox.due_rows(kiosk.db) if r.client_id == damaged]
    path = photo_path(kiosk.data_dir, row.attachments[1])
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size, other bytes
    report = run()
    assert server.bundles == 1
    assert [(i.client_id, i.code) for i in report.quarantined] == [(damaged, "hash_mismatch")]
    assert set(server.records) == {kept}
    assert row.attachments[1] not in server.complete
    assert row.attachments[0] in server.complete  # the good photos of the bundle were kept
    assert report.attachments_uploaded == 3


def test_a_cut_bundle_is_sent_again(kiosk, server, run, submit):
    submit(photos=2)
    server.before.append(cut(1, path=BUNDLE))
    report = run()
    assert report.is_complete and report.attachments_uploaded == 2
    assert _bundle_posts(server) == 2 and server.bundles == 1


def test_a_bundle_refused_whole_falls_back_to_one_photo_at_a_time(kiosk, server, run, submit):
    submit(photos=2)
    server.before.append(answer(error(413, ErrorCode.BODY_TOO_LARGE), path=BUNDLE))
    report = run()
    assert report.is_complete and report.attachments_uploaded == 2
    assert sum(1 for method, _, _ in server.log if method == "PUT") == 2


def test_an_older_server_without_bundles_gets_photos_one_by_one(kiosk, server, run, submit):
    submit(photos=2)
    older = server.limits.model_dump(mode="json")
    for added in ("attachment_bundles", "max_bundle_photos"):
        older.pop(added)
    server.before.append(answer(httpx.Response(200, json=older), times=5, path="/v1/limits"))
    report = run()
    assert report.is_complete and report.attachments_uploaded == 2
    assert _bundle_posts(server) == 0
    assert sum(1 for method, _, _ in server.log if method == "PUT") == 2
