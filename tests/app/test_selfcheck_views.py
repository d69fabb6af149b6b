"""Self-check, complaint and survey screens: their logic, driven without a browser or a Flet session."""

from __future__ import annotations

from datetime import date

import flet as ft
import pytest

from kiosk.errors import InputError, KioskError, NotFoundError
from kiosk.i18n import text
from kiosk.services.complaints import file_new_complaint
from kiosk.services.receipts import write_receipt
from kiosk.services.selfcheck import parse_birth_date, status_by_nik, status_from_photo
from kiosk.services.status import status_of
from kiosk.services.submissions import record_submission
from kiosk.services.survey import record_survey_answer, survey_summary
from kiosk.store.database import schema_version
from kiosk.views.complaint import ComplaintScreen, answer_problem, receipt_path
from kiosk.views.selfcheck import (
    SelfCheckScreen,
    message_for,
    parse_route,
    report_lines,
    route_for,
    screen_for_route,
)
from kiosk.views.survey import SurveyScreen
from tests.support.requests import STUDENT_NIK, kjp_request


def visible_texts(screen) -> list[str]:
    """Every Text value and control label on the screen's current step."""
    found: list[str] = []

    def walk(control) -> None:
        for attribute in ("value", "label", "content", "semantics_label"):
            value = getattr(control, attribute, None)
            if isinstance(value, str):
                found.append(value)
        for child in getattr(control, "controls", None) or []:
            walk(child)
        content = getattr(control, "content", None)
        if isinstance(content, ft.Control):
            walk(content)

    walk(screen.root)
    return found


def test_routes_carry_the_language_and_default_to_indonesian():
    assert parse_route(route_for("/survey", "en", flow="complaint")) == (
        "/survey",
        {"lang": "en", "flow": "complaint"},
    )
    assert parse_route("/selfcheck?lang=xx") == ("/selfcheck", {"lang": "id"})
    assert parse_route("") == ("/", {"lang": "id"})


def test_only_the_three_self_check_routes_are_answered(kiosk):
    navigations: list[str] = []
    for route in ("/selfcheck", "/complaint?lang=en", "/survey?flow=complaint"):
        assert isinstance(screen_for_route(route, kiosk, navigations.append), ft.Control)
    assert screen_for_route("/verify", kiosk, navigations.append) is None


def test_errors_are_shown_in_the_chosen_language_with_a_fallback_for_unknown_codes():
    error = InputError("x", code="register_number.shape")
    assert message_for(error, "en") == text("register_number.shape", "en")
    odd = NotFoundError("nothing here", code="no.such.code")
    assert message_for(odd, "en") == text("error.not_found", "en", detail="nothing here")


def test_a_bad_register_number_keeps_the_typed_text_and_says_why(kiosk):
    screen = SelfCheckScreen(kiosk, lambda route: None, "id")
    screen.check_number("7KQ2ZB-00")
    assert screen.step.name == "number"
    assert screen.step.state["value"] == "7KQ2ZB-00"
    assert text("register_number.shape") in visible_texts(screen)


def test_a_register_number_opens_the_status_with_the_nik_masked(kiosk):
    number = str(record_submission(kiosk, kjp_request()).submission.register_number)
    screen = SelfCheckScreen(kiosk, lambda route: None, "en")
    screen.check_number(number.lower())
    assert screen.step.name == "result"
    shown = "\n".join(visible_texts(screen))
    assert "3174********0003" in shown
    assert STUDENT_NIK not in shown
    assert text("next.bring_missing", "en") in shown


def test_report_lines_say_state_gaps_and_next_step_for_a_complaint_too(kiosk):
    complaint = file_new_complaint(
        kiosk, category="late_disbursement", description="belum cair", name="Aminah"
    )
    lines = report_lines(status_of(kiosk, str(complaint.register_number)), "id")
    assert lines[0] == text("status.complaint.queued")
    assert text("category.late_disbursement") in lines
    assert any(line.startswith("Jawaban paling lambat:") for line in lines)


def test_the_language_switch_redraws_the_same_step(kiosk):
    screen = SelfCheckScreen(kiosk, lambda route: None, "id")
    screen.show("number", value="ABC", error="")
    screen.language = "en"
    screen.show(screen.step.name, **screen.step.state)
    assert text("selfcheck.register_number_question", "en") in visible_texts(screen)
    assert screen.step.state["value"] == "ABC"


def _switch_to(screen, label: str) -> None:
    """Press the language button labelled `label`, as a person would."""

    def buttons(control):
        if isinstance(control, ft.Button):
            yield control
        for child in getattr(control, "controls", None) or []:
            yield from buttons(child)
        content = getattr(control, "content", None)
        if isinstance(content, ft.Control):
            yield from buttons(content)

    [button] = [b for b in buttons(screen.root) if b.content == label]
    button.on_click(None)


def test_switching_language_keeps_what_was_typed_but_not_yet_sent(kiosk):
    screen = SelfCheckScreen(kiosk, lambda route: None, "id")
    screen.show("number")
    _, field = screen.typing
    field.value = "7KQ2ZB-0001"  # typed, Enter not pressed yet
    _switch_to(screen, text("selfcheck.language_en"))
    assert screen.language == "en"
    _, field = screen.typing
    assert field.value == "7KQ2ZB-0001" and field.label == text("selfcheck.register_number", "en")


def test_switching_language_keeps_a_complaint_being_written(kiosk):
    screen = ComplaintScreen(kiosk, lambda route: None, "id")
    screen.show("description", category="late_disbursement")
    _, field = screen.typing
    field.value = "Dana tahap 2 belum"
    _switch_to(screen, text("selfcheck.language_en"))
    _, field = screen.typing
    assert field.value == "Dana tahap 2 belum"
    assert screen.step.state["category"] == "late_disbursement"


def test_birth_dates_are_read_the_way_people_write_them():
    assert parse_birth_date("14-05-2009") == date(2009, 5, 14)
    assert parse_birth_date("14/5/2009") == date(2009, 5, 14)
    assert parse_birth_date("14052009") == date(2009, 5, 14)
    assert parse_birth_date("2009-05-14") == date(2009, 5, 14)
    with pytest.raises(InputError) as caught:
        parse_birth_date("31-02-2009")
    assert caught.value.code == "selfcheck.bad_birth_date"


def test_nik_and_birth_date_find_the_records_and_a_wrong_date_finds_nothing(kiosk):
    record_submission(kiosk, kjp_request())
    reports = status_by_nik(kiosk, STUDENT_NIK, "14-05-2009")
    assert [report.nik_masked for report in reports] == ["3174********0003"]
    with pytest.raises(NotFoundError) as caught:
        status_by_nik(kiosk, STUDENT_NIK, "15-05-2009")
    assert caught.value.code == "selfcheck.nothing_found"
    with pytest.raises(InputError):
        status_by_nik(kiosk, "3174011405090000", "14-05-2009")


def test_a_bad_nik_sends_the_person_back_to_the_nik_question_with_it_kept(kiosk):
    screen = SelfCheckScreen(kiosk, lambda route: None, "id")
    screen.check_nik("3174011405090000", "14-05-2009")
    assert screen.step.name == "nik"
    assert screen.step.state["value"] == "3174011405090000"


def test_a_photo_of_a_receipt_opens_its_status_and_junk_says_why(kiosk, tmp_path):
    number = str(record_submission(kiosk, kjp_request()).submission.register_number)
    photo = write_receipt(kiosk, number, tmp_path / "r.png").path
    assert status_from_photo(kiosk, photo.read_bytes()).register_number == number
    with pytest.raises(KioskError) as caught:
        status_from_photo(kiosk, b"not an image")
    assert caught.value.code.startswith("scan.image.")
    assert not list((kiosk.data_dir / "tmp").iterdir())  # the photo is not kept


def test_empty_required_answers_are_refused_before_the_next_question():
    assert answer_problem("description", "  ") == "complaint.description_empty"
    assert answer_problem("name", "") == "complaint.name_empty"
    assert answer_problem("nik", "") is None
    assert answer_problem("description", "belum cair") is None


def test_a_filed_complaint_shows_number_receipt_and_due_dates(kiosk):
    routes: list[str] = []
    screen = ComplaintScreen(kiosk, routes.append, "id")
    screen.file({"category": "wrong_data", "description": "nama salah", "name": "Budi", "nik": ""})
    assert screen.step.name == "saved"
    number = screen.step.state["summary"]["register_number"]
    assert receipt_path(kiosk, number).read_bytes() == screen.step.state["picture"]
    assert screen.step.state["problem"] == ""


def test_a_refused_complaint_returns_to_the_question_at_fault(kiosk):
    screen = ComplaintScreen(kiosk, lambda route: None, "en")
    answers = {"category": "other", "description": "x", "name": "Budi", "nik": "123"}
    screen.file(answers)
    assert screen.step.name == "nik"
    assert screen.step.state["nik"] == "123"


def test_a_missing_printer_still_shows_the_register_number(kiosk):
    (kiosk.data_dir / "receipts").write_text("a file where the spool folder should be")
    screen = ComplaintScreen(kiosk, lambda route: None, "en")
    screen.file({"category": "other", "description": "x", "name": "Budi"})
    assert screen.step.name == "saved"
    assert screen.step.state["picture"] is None
    assert screen.step.state["problem"].startswith("The receipt cannot be printed")


def test_survey_answers_are_stored_and_counted(kiosk):
    assert schema_version(kiosk.db) >= 4
    routes: list[str] = []
    screen = SurveyScreen(kiosk, routes.append, "en", flow="complaint")
    screen.answer(5)(None)
    assert screen.step.name == "thanks"
    record_survey_answer(kiosk, 2, flow="selfcheck", language="id")
    assert survey_summary(kiosk) == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    with pytest.raises(InputError):
        record_survey_answer(kiosk, 6, flow="selfcheck", language="id")
    row = kiosk.db.execute("SELECT * FROM survey_answers LIMIT 1").fetchone()
    assert len(row) == 5  # id, score, flow, language, time: nothing about the person
