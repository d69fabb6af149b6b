"""Pull by cursor: each device gets its own records' status changes, its area's roster rows and the
rules, once each and in order; a cursor the server did not make is refused."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

from sync.protocol import PullResponse
from sync.server.roster import publish_roster
from sync.server.rules import publish_rules
from sync.server.staff.operators import set_state
from sync.server.storage import utc_now
from tests.server.records import push_body, submission_record

DEMO_RULES = Path(__file__).resolve().parents[1] / "assets" / "rules" / "valid-demo.toml"


def _pull(device, cursor=None, limit=None):
    params = {k: v for k, v in {"cursor": cursor, "limit": limit}.items() if v is not None}
    with device.client() as client:
        answer = client.get("/v1/pull", params=params)
    assert answer.status_code == 200, answer.text
    return PullResponse.model_validate(answer.json())


def _drain(device, cursor=None):
    """Every change after `cursor`, page by page; returns (changes, final cursor)."""
    seen = []
    while True:
        page = _pull(device, cursor)
        seen.extend(page.changes)
        cursor = page.next_cursor
        if not page.has_more:
            return seen, cursor


def _pushed(device, count=1):
    records = [submission_record(device.device_code) for _ in range(count)]
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*records))
    assert {r["status"] for r in answer.json()["results"]} == {"accepted"}
    return records


def test_state_changes_flow_back_once_and_in_order(live_server, device):
    _, cursor = _drain(device)
    first, second = _pushed(device, 2)
    database = live_server.state.database
    for record, state in ((first, "verified"), (second, "rejected"), (first, "disbursed")):
        set_state(
            database,
            record.body["register_number"],
            state,
            note=f"by test {state}",
            operator="pull-test",
            now=utc_now(),
        )
    changes, cursor = _drain(device, cursor)
    assert [(c.kind, c.data["client_id"], c.data["state"]) for c in changes] == [
        ("status", first.client_id, "verified"),
        ("status", second.client_id, "rejected"),
        ("status", first.client_id, "disbursed"),
    ]
    assert changes[1].data["note"] == "by test rejected"
    assert changes[0].data["register_number"] == first.body["register_number"]
    assert _pull(device, cursor).changes == ()  # once: the cursor moved past them


def test_a_device_never_sees_another_devices_status_changes(live_server, device):
    other = live_server.enroll()
    _, cursor = _drain(other)
    [record] = _pushed(device)
    set_state(
        live_server.state.database,
        record.body["register_number"],
        "verified",
        operator="pull-test",
        now=utc_now(),
    )
    changes, _ = _drain(other, cursor)
    assert [c for c in changes if c.kind == "status"] == []


def test_a_change_the_lifecycle_forbids_is_refused(live_server, device):
    [record] = _pushed(device)
    number = record.body["register_number"]
    database = live_server.state.database
    for state in ("disbursed", "flying"):
        try:
            set_state(database, number, state, operator="pull-test", now=utc_now())
        except Exception as exc:  # AdminError: one line for the CLI
            assert "synced" in exc.message("en") or "flying" in exc.message("en")
        else:
            raise AssertionError(f"{state} should be refused")


def test_pages_follow_the_limit_and_say_when_more_remain(live_server, device):
    _, cursor = _drain(device)
    records = _pushed(device, 5)
    for record in records:
        set_state(
            live_server.state.database,
            record.body["register_number"],
            "verified",
            operator="pull-test",
            now=utc_now(),
        )
    first = _pull(device, cursor, limit=3)
    assert len(first.changes) == 3 and first.has_more
    second = _pull(device, first.next_cursor, limit=3)
    assert len(second.changes) == 2 and not second.has_more
    got = [c.data["client_id"] for c in first.changes + second.changes]
    assert got == [r.client_id for r in records]


def test_a_malformed_or_foreign_cursor_is_refused(live_server, device):
    foreign = base64.urlsafe_b64encode(b"c1:0123456789abcdef:5").decode().rstrip("=")
    ahead = _pull(device).next_cursor
    instance = base64.urlsafe_b64decode(ahead + "==").decode().split(":")[1]
    beyond = base64.urlsafe_b64encode(f"c1:{instance}:999999999".encode()).decode()
    with device.client() as client:
        for cursor in ("%%%", "bm90IGEgY3Vyc29y", foreign, beyond):
            answer = client.get("/v1/pull", params={"cursor": cursor})
            assert answer.status_code == 400, cursor
            assert answer.json()["error"]["code"] == "bad_cursor"


def test_published_rules_flow_to_every_device(live_server, device):
    _, cursor = _drain(device)
    version = f"test-{secrets.token_hex(3)}"
    text = DEMO_RULES.read_text().replace('version = "1"', f'version = "{version}"')
    published = publish_rules(live_server.state.database, text, "demo.toml", now=utc_now())
    assert published.changed and published.program == "demo"
    again = publish_rules(live_server.state.database, text, "demo.toml", now=utc_now())
    assert not again.changed
    changes, _ = _drain(device, cursor)
    rules = [c for c in changes if c.kind == "rules"]
    assert [(c.data["program"], c.data["version"]) for c in rules] == [("demo", version)]
    assert rules[0].data["text"] == text
    # A device enrolled later gets only the newest rule file of each program.
    late = live_server.enroll()
    newest = [c for c in _drain(late)[0] if c.kind == "rules" and c.data["program"] == "demo"]
    assert [c.data["version"] for c in newest] == [version]


def _nik(born: str = "140509") -> str:
    """A valid NIK of Jakarta Selatan no other test uses (random serial)."""
    return f"317401{born}{secrets.randbelow(9998) + 1:04d}"


def test_roster_rows_reach_only_devices_of_their_area(live_server, tmp_path):
    area = f"9{secrets.randbelow(9) + 1}"  # a province no other test uses
    inside = live_server.enroll(area=f"{area}.01")
    outside = live_server.enroll(area="31.74")
    cursors = {d.name: _drain(d)[1] for d in (inside, outside)}
    student, mother = _nik(), _nik("570880")
    csv_file = tmp_path / "roster.csv"
    csv_file.write_text(
        "nik;nama;kode_wilayah;no_kk;bank;rekening;sekolah\n"
        f"{student};Siti Rahmawati;{area}.01.02;3174012001150004;Bank DKI;0123456789;SMAN 1\n"
        f"{mother};Hj. Aminah;{area}.02.01;;;;\n"
        f"3174019905090003;Nik Salah;{area}.01.02;;;;\n"
        f"{_nik()};Tanpa Wilayah;;;;;\n",
        encoding="utf-8",
    )
    database = live_server.state.database
    report = publish_roster(database, csv_file, "kjp-plus", now=utc_now())
    assert (report.published, report.rejected, report.rows_read) == (2, 2, 4)
    assert [(p.line, p.column) for p in report.problems] == [(4, "nik"), (5, "region_code")]
    changes, cursors[inside.name] = _drain(inside, cursors[inside.name])
    roster = [c for c in changes if c.kind == "roster"]
    assert [c.data["entry"]["name"] for c in roster] == ["Siti Rahmawati"]
    assert roster[0].data["entry"]["nik"] == student
    assert roster[0].data["entry"]["extra"] == {"sekolah": "SMAN 1"}
    assert roster[0].data["removed"] is False
    assert [c for c in _drain(outside, cursors[outside.name])[0] if c.kind == "roster"] == []
    # Publishing the same file again sends nothing new.
    again = publish_roster(database, csv_file, "kjp-plus", now=utc_now())
    assert (again.published, again.unchanged) == (0, 2)
    # The student moves to Jakarta Selatan: her old area's devices are told to drop her row.
    csv_file.write_text(f"nik,nama,kode_wilayah\n{student},Siti Rahmawati,31.74.01.1001\n")
    publish_roster(database, csv_file, "kjp-plus", now=utc_now())
    moved_out = [c for c in _drain(inside, cursors[inside.name])[0] if c.kind == "roster"]
    assert [(c.data["entry"]["nik"], c.data["removed"]) for c in moved_out] == [(student, True)]
    moved_in = [c for c in _drain(outside, cursors[outside.name])[0] if c.kind == "roster"]
    assert [(c.data["entry"]["nik"], c.data["removed"]) for c in moved_in] == [(student, False)]
