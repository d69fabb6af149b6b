"""The complaint flow at the self-check kiosk: category, description, name, NIK, then the receipt.

It ends with the register number, the receipt as a PNG on screen and the answer-by dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flet as ft

from kiosk.bootstrap import Kiosk
from kiosk.errors import KioskError
from kiosk.services.complaints import complaint_categories, complaint_summary, file_new_complaint
from kiosk.services.receipts import PaperWidth, write_receipt
from kiosk.views.selfcheck import (
    FlowScreen,
    Navigate,
    Step,
    big_button,
    big_field,
    heading,
    line,
    message_for,
    route_for,
)

# Answers refused at once, before the next question, with the service's own message codes.
REQUIRED_ANSWERS = {"description": "complaint.description_empty", "name": "complaint.name_empty"}


def answer_problem(name: str, value: str) -> str | None:
    """The message code for an answer that cannot stand (an empty required one), else None."""
    if name in REQUIRED_ANSWERS and not value.strip():
        return REQUIRED_ANSWERS[name]
    return None


# Which question each field of a refused complaint sends the person back to.
STEP_OF_FIELD = {"category": "start", "description": "description", "name": "name", "nik": "nik"}


def receipt_path(kiosk: Kiosk, register_number: str) -> Path:
    """Where the kiosk's printer spooler picks up receipts (one PNG per register number)."""
    return kiosk.data_dir / "receipts" / f"{register_number}.png"


def print_receipt(kiosk: Kiosk, register_number: str) -> bytes:
    """Write the receipt PNG for the printer and return its bytes for the screen."""
    path = receipt_path(kiosk, register_number)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KioskError(
            "the receipt folder cannot be made",
            code="receipt.unwritable",
            params={"reason": exc.strerror or type(exc).__name__},
        ) from exc
    written = write_receipt(kiosk, register_number, path, PaperWidth.THERMAL_58)
    return written.path.read_bytes()


class ComplaintScreen(FlowScreen):
    """One question per screen; the answers so far travel in the step's state."""

    def __init__(self, kiosk: Kiosk, navigate: Navigate, language: str) -> None:
        super().__init__(kiosk, navigate, language)

    def build(self, step: Step) -> list[ft.Control]:
        builder = {
            "start": self.build_category,
            "description": self.build_description,
            "name": self.build_name,
            "nik": self.build_nik,
            "saved": self.build_saved,
        }[step.name]
        return builder(**step.state)

    def frame(self, *controls: ft.Control) -> list[ft.Control]:
        return [heading(self.t("selfcheck.complaint.title")), self.language_switch(), *controls]

    def build_category(self, error: str = "", **answers: Any) -> list[ft.Control]:
        def choose(category: str) -> Any:
            return lambda _: self.show("description", **{**answers, "category": category})

        return self.frame(
            line(self.t("selfcheck.complaint.category_question")),
            self.alert(error),
            *[
                big_button(self.t(f"category.{category}"), choose(category), primary=False)
                for category in complaint_categories()
            ],
            big_button(
                self.t("selfcheck.back"),
                lambda _: self.navigate(route_for("/selfcheck", self.language)),
                primary=False,
            ),
        )

    def ask(
        self,
        name: str,
        answers: dict[str, Any],
        *,
        prompt: str,
        label: str,
        following: str,
        error: str,
        skippable: bool = False,
        action: str = "selfcheck.next",
        **options: Any,
    ) -> list[ft.Control]:
        """A one-field question; the answer is saved under `name`, then `following` is shown."""

        def answer(_: Any) -> None:
            value = field.value or ""
            problem = answer_problem(name, value)
            if problem:
                self.show(self.step.name, **{**answers, name: value}, error=self.t(problem))
                return
            self.advance(following, {**answers, name: value})

        field = big_field(label, answer, value=answers.get(name, ""), **options)
        self.typing = (name, field)
        buttons = [big_button(self.t(action), answer)]
        if skippable:
            buttons.append(
                big_button(
                    self.t("selfcheck.skip"),
                    lambda _: self.advance(following, {**answers, name: ""}),
                    primary=False,
                )
            )
        buttons.append(
            big_button(
                self.t("selfcheck.back"), lambda _: self.show("start", **answers), primary=False
            )
        )
        return self.frame(line(prompt), field, self.alert(error), ft.Row(buttons, wrap=True))

    def advance(self, following: str, answers: dict[str, Any]) -> None:
        if following == "file":
            self.file(answers)
        else:
            self.show(following, **answers)

    def build_description(self, error: str = "", **answers: Any) -> list[ft.Control]:
        return self.ask(
            "description",
            answers,
            prompt=self.t("selfcheck.complaint.description_question"),
            label=self.t("selfcheck.complaint.description"),
            following="name",
            error=error,
            max_length=2000,
        )

    def build_name(self, error: str = "", **answers: Any) -> list[ft.Control]:
        return self.ask(
            "name",
            answers,
            prompt=self.t("selfcheck.complaint.name_question"),
            label=self.t("selfcheck.complaint.name"),
            following="nik",
            error=error,
        )

    def build_nik(self, error: str = "", **answers: Any) -> list[ft.Control]:
        return self.ask(
            "nik",
            answers,
            prompt=self.t("selfcheck.complaint.nik_question"),
            label=self.t("selfcheck.nik"),
            following="file",
            error=error,
            skippable=True,
            action="selfcheck.complaint.submit",
        )

    def file(self, answers: dict[str, Any]) -> None:
        try:
            complaint = file_new_complaint(
                self.kiosk,
                category=answers.get("category", ""),
                description=answers.get("description", ""),
                name=answers.get("name", ""),
                nik=answers.get("nik") or None,
            )
        except KioskError as exc:
            step = STEP_OF_FIELD.get(exc.where or "", "start")
            self.show(step, **answers, error=message_for(exc, self.language))
            return
        summary = dict(complaint_summary(complaint))
        try:
            picture: bytes | None = print_receipt(self.kiosk, summary["register_number"])
            problem = ""
        except KioskError as exc:
            picture = None
            problem = self.t(
                "selfcheck.complaint.printer_missing",
                reason=exc.params.get("reason", exc.detail),
            )
        self.show("saved", summary=summary, picture=picture, problem=problem)

    def build_saved(
        self, summary: dict[str, Any], picture: bytes | None, problem: str
    ) -> list[ft.Control]:
        number = summary["register_number"]
        controls: list[ft.Control] = [
            line(self.t("selfcheck.complaint.saved_title"), bold=True),
            line(self.t("selfcheck.complaint.number_line", number=number), bold=True),
            line(self.t(f"category.{summary['category']}")),
            line(
                self.t(
                    "selfcheck.complaint.first_response_line",
                    date=summary["first_response_due"][:10],
                )
            ),
            line(self.t("selfcheck.complaint.due_line", date=summary["resolution_due"][:10])),
            line(self.t("selfcheck.complaint.keep_number")),
        ]
        if picture is not None:
            controls.append(
                ft.Image(
                    src=picture,
                    width=380,
                    semantics_label=self.t("selfcheck.complaint.receipt", number=number),
                )
            )
        controls.append(self.alert(problem))
        controls.append(
            big_button(
                self.t("selfcheck.done"),
                lambda _: self.navigate(route_for("/survey", self.language, flow="complaint")),
            )
        )
        return self.frame(*controls)
