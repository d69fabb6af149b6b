"""Self-check mode: a beneficiary checks a status alone, one question per screen, no officer menus.

Mounting (kiosk/app.py owns routing): routes "/selfcheck", "/complaint" and "/survey" each take an
optional "?lang=id|en" (and "/survey" a "&flow=selfcheck|complaint"). In the route handler:

    from kiosk.views.selfcheck import screen_for_route
    control = screen_for_route(page.route, kiosk, navigate)   # None: not one of these routes
    if control is not None:
        page.views.clear()
        page.views.append(ft.View(route=page.route, controls=[control], padding=0,
                                  bgcolor=ft.Colors.WHITE))

`navigate(route: str)` must push the route (e.g. `page.run_task(page.push_route, route)`). Labels
the e2e tests use: see SELFCHECK_LABELS below (they are the translations of these keys).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import flet as ft

from kiosk.bootstrap import Kiosk
from kiosk.domain.payloads import Payload, PayloadKind
from kiosk.errors import KioskError
from kiosk.i18n import LANGUAGES, catalog, text
from kiosk.services.handheld import ScannerRead
from kiosk.services.live_scan import LiveScan
from kiosk.services.scanning import open_scanned_receipt
from kiosk.services.selfcheck import status_by_nik, status_from_photo
from kiosk.services.status import StatusReport, status_of
from kiosk.settings import CameraSettings
from kiosk.views.camera import CameraScan
from kiosk.views.handheld import ScannerListener
from kiosk.views.verify_form import find_keys, left_to_the_field

Navigate = Callable[[str], None]

# Large type and high contrast: black on white, white on dark blue, nothing pale.
TITLE_SIZE = 34
BODY_SIZE = 24
INK = ft.Colors.BLACK
PAPER = ft.Colors.WHITE
ACTION = "#0B3D91"
ALERT = "#9B0000"


def route_for(path: str, language: str, **params: str) -> str:
    """A route with the language (and any other parameter) in its query string."""
    return f"{path}?{urlencode({'lang': language, **params})}"


def parse_route(route: str) -> tuple[str, dict[str, str]]:
    """("/survey", {"lang": "en", "flow": "complaint"}) from "/survey?lang=en&flow=complaint"."""
    parts = urlsplit(route or "/")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if query.get("lang") not in LANGUAGES:
        query["lang"] = LANGUAGES[0]
    return parts.path or "/", query


def screen_for_route(
    route: str,
    kiosk: Kiosk,
    navigate: Navigate,
    *,
    scanner: ScannerListener | None = None,
    camera: CameraSettings | None = None,
) -> ft.Control | None:
    """The self-check, complaint or survey screen for `route`; None for any other route.

    `scanner` (the page's handheld-scanner listener) lets a scanned receipt open its status.
    """
    # Imported here: complaint and survey import this module's building blocks.
    from kiosk.views.complaint import ComplaintScreen
    from kiosk.views.survey import SurveyScreen

    path, query = parse_route(route)
    language = query["lang"]
    if path == "/selfcheck":
        return SelfCheckScreen(kiosk, navigate, language, scanner=scanner, camera=camera).root
    if path == "/complaint":
        return ComplaintScreen(kiosk, navigate, language).root
    if path == "/survey":
        return SurveyScreen(kiosk, navigate, language, flow=query.get("flow", "selfcheck")).root
    return None


def message_for(error: KioskError, language: str) -> str:
    """The translated sentence for an error, falling back to its family's general sentence."""
    if error.code in catalog(language):
        return text(error.code, language, **error.params)
    return text(type(error).default_code, language, detail=error.detail)


# ----- building blocks shared by the three screens -----


def heading(value: str) -> ft.Text:
    return ft.Text(value, size=TITLE_SIZE, weight=ft.FontWeight.BOLD, color=INK)


def line(value: str, *, color: str = INK, bold: bool = False) -> ft.Text:
    return ft.Text(value, size=BODY_SIZE, color=color, weight=ft.FontWeight.BOLD if bold else None)


def big_button(
    label: str, on_click: Callable[[Any], Any], *, icon: Any = None, primary: bool = True
) -> ft.Button:
    return ft.Button(
        content=label,
        icon=icon,
        on_click=on_click,
        style=ft.ButtonStyle(
            text_style=ft.TextStyle(size=BODY_SIZE, weight=ft.FontWeight.BOLD),
            padding=ft.Padding.symmetric(horizontal=28, vertical=20),
            bgcolor=ACTION if primary else PAPER,
            color=PAPER if primary else ACTION,
            side=ft.BorderSide(2, ACTION),
        ),
    )


def big_field(label: str, on_submit: Callable[[Any], Any], **options: Any) -> ft.TextField:
    return ft.TextField(
        label=label,
        on_submit=on_submit,
        autofocus=True,
        text_size=BODY_SIZE,
        label_style=ft.TextStyle(size=BODY_SIZE, color=INK),
        color=INK,
        border_color=INK,
        border_width=2,
        width=640,
        **options,
    )


def page_frame(controls: list[ft.Control]) -> ft.Container:
    return ft.Container(
        content=ft.Column(controls, spacing=22, scroll=ft.ScrollMode.AUTO),
        bgcolor=PAPER,
        padding=36,
        expand=True,
    )


@dataclass
class Step:
    """One screen's worth of controls, rebuilt whenever the step or the language changes."""

    name: str
    state: dict[str, Any]


class FlowScreen:
    """A root container whose content is the current step; subclasses build each step."""

    def __init__(self, kiosk: Kiosk, navigate: Navigate, language: str) -> None:
        self.kiosk = kiosk
        self.navigate = navigate
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self.root = ft.Container(expand=True, bgcolor=PAPER)
        self.step = Step("start", {})
        # The open question's field and the step-state key its answer goes under: switching
        # language rebuilds the step, and must keep what the person has typed so far.
        self.typing: tuple[str, ft.TextField] | None = None
        self.show("start")

    def t(self, code: str, **params: Any) -> str:
        return text(code, self.language, **params)

    def show(self, step_name: str, /, **state: Any) -> None:
        # Positional-only: answers such as a complainant's "name" travel in `state`.
        self.step = Step(step_name, state)
        self.typing = None
        # No update() here: event handlers send their changes when they return (Flet 1.0).
        self.root.content = page_frame(self.build(self.step))

    def build(self, step: Step) -> list[ft.Control]:
        raise NotImplementedError

    def language_switch(self) -> ft.Row:
        def switch(language: str) -> Callable[[Any], None]:
            def handler(_: Any) -> None:
                self.language = language
                state = dict(self.step.state)
                if self.typing is not None:
                    key, field = self.typing
                    state[key] = field.value or ""
                self.show(self.step.name, **state)

            return handler

        return ft.Row(
            [
                big_button(self.t(f"selfcheck.language_{code}"), switch(code), primary=False)
                for code in LANGUAGES
            ],
            wrap=True,
        )

    def alert(self, message: str = "") -> ft.Text:
        return line(message, color=ALERT, bold=True)


# ----- self-check -----


def report_lines(report: StatusReport, language: str) -> list[str]:
    """What a beneficiary reads about one record: status, number, masked NIK, gaps, next step."""
    lines = [
        text(report.state_code, language),
        text("selfcheck.number_line", language, number=report.register_number),
    ]
    if report.nik_masked:
        lines.append(text("selfcheck.nik_line", language, nik=report.nik_masked))
    lines.append(text("selfcheck.updated_line", language, date=report.updated_at[:10]))
    if report.kind == "submission":
        if report.missing_documents:
            lines.append(text("selfcheck.missing_title", language))
            lines += [
                f"• {document['title'].get(language, document['document'])}"
                for document in report.missing_documents
            ]
        else:
            lines.append(text("selfcheck.nothing_missing", language))
    else:
        details = report.details
        lines.append(text(f"category.{details['category']}", language))
        lines.append(
            text("selfcheck.first_response_line", language, date=details["first_response_due"][:10])
        )
        lines.append(text("selfcheck.due_line", language, date=details["resolution_due"][:10]))
    note = report.note_in(language)
    if note:
        lines.append(text("selfcheck.note_line", language, note=note))
    lines.append(text(report.next_step_code, language))
    return lines


class SelfCheckScreen(FlowScreen):
    """Choose how to find the record, answer one question per screen, read the status."""

    def __init__(
        self,
        kiosk: Kiosk,
        navigate: Navigate,
        language: str,
        *,
        scanner: ScannerListener | None = None,
        camera: CameraSettings | None = None,
    ) -> None:
        # Kept alive with the screen: a service the page only weakly references would vanish.
        self.picker = ft.FilePicker()
        self.camera_pace = camera
        super().__init__(kiosk, navigate, language)
        if scanner is not None:
            scanner.target = self.handheld_read

    def build(self, step: Step) -> list[ft.Control]:
        builder = {
            "start": self.build_start,
            "number": self.build_number,
            "nik": self.build_nik,
            "birth_date": self.build_birth_date,
            "scan": self.build_scan,
            "result": self.build_result,
        }[step.name]
        return builder(**step.state)

    def build_start(self) -> list[ft.Control]:
        return [
            heading(self.t("selfcheck.title")),
            self.language_switch(),
            line(self.t("selfcheck.welcome")),
            big_button(
                self.t("selfcheck.by_number"), lambda _: self.show("number"), icon=ft.Icons.PIN
            ),
            big_button(self.t("selfcheck.by_nik"), lambda _: self.show("nik"), icon=ft.Icons.BADGE),
            big_button(
                self.t("selfcheck.by_scan"), lambda _: self.show("scan"), icon=ft.Icons.QR_CODE
            ),
            big_button(
                self.t("selfcheck.file_complaint"),
                lambda _: self.navigate(route_for("/complaint", self.language)),
                icon=ft.Icons.FEEDBACK,
            ),
        ]

    def question(
        self,
        prompt: str,
        label: str,
        value: str,
        error: str,
        on_answer: Callable[[str], None],
        action: str = "selfcheck.check",
    ) -> list[ft.Control]:
        field = big_field(label, lambda _: on_answer(field.value or ""), value=value)
        self.typing = ("value", field)
        return [
            heading(self.t("selfcheck.title")),
            self.language_switch(),
            line(prompt),
            field,
            self.alert(error),
            ft.Row(
                [
                    big_button(self.t(action), lambda _: on_answer(field.value or "")),
                    big_button(
                        self.t("selfcheck.back"), lambda _: self.show("start"), primary=False
                    ),
                ],
                wrap=True,
            ),
        ]

    def build_number(self, value: str = "", error: str = "") -> list[ft.Control]:
        return self.question(
            self.t("selfcheck.register_number_question"),
            self.t("selfcheck.register_number"),
            value,
            error,
            self.check_number,
        )

    def check_number(self, typed: str) -> None:
        try:
            reports = [status_of(self.kiosk, typed)]
        except KioskError as exc:
            self.show("number", value=typed, error=message_for(exc, self.language))
            return
        self.show("result", reports=reports)

    def build_nik(self, value: str = "", error: str = "") -> list[ft.Control]:
        return self.question(
            self.t("selfcheck.nik_question"),
            self.t("selfcheck.nik"),
            value,
            error,
            lambda typed: self.show("birth_date", nik=typed),
            action="selfcheck.next",
        )

    def build_birth_date(self, nik: str, value: str = "", error: str = "") -> list[ft.Control]:
        return self.question(
            self.t("selfcheck.birth_date_question"),
            self.t("selfcheck.birth_date"),
            value,
            error,
            lambda typed: self.check_nik(nik, typed),
        )

    def check_nik(self, nik: str, birth_date: str) -> None:
        try:
            reports = status_by_nik(self.kiosk, nik, birth_date)
        except KioskError as exc:
            # A bad NIK goes back to the NIK question, with the typed text kept.
            back = "nik" if exc.where == "nik" and exc.code != "selfcheck.nothing_found" else None
            if back:
                self.show("nik", value=nik, error=message_for(exc, self.language))
            else:
                self.show(
                    "birth_date", nik=nik, value=birth_date, error=message_for(exc, self.language)
                )
            return
        self.show("result", reports=reports)

    def build_scan(self, error: str = "") -> list[ft.Control]:
        alert = self.alert(error)

        def tell(sentence: str, is_error: bool) -> None:
            alert.value, alert.color = sentence, ALERT if is_error else INK

        camera = CameraScan(
            self.t,
            lambda: LiveScan(self.kiosk),
            self.open_payloads,
            tell,
            texts="selfcheck",
            make_button=lambda label, on_click, icon: big_button(label, on_click, icon=icon),
            pace=self.camera_pace,
        )
        return [
            heading(self.t("selfcheck.title")),
            self.language_switch(),
            line(self.t("selfcheck.scan_question")),
            ft.Row(
                [
                    big_button(
                        self.t("selfcheck.choose_photo"), self.pick_photo, icon=ft.Icons.PHOTO
                    ),
                    camera.button,
                ],
                wrap=True,
            ),
            camera.box,
            alert,
            big_button(self.t("selfcheck.back"), lambda _: self.show("start"), primary=False),
        ]

    async def pick_photo(self, _: Any) -> None:
        files = await self.picker.pick_files(with_data=True, file_type=ft.FilePickerFileType.IMAGE)
        if not files or files[0].bytes is None:
            self.show("scan", error=self.t("selfcheck.no_photo"))
            return
        await self.open_receipt(bytes(files[0].bytes), name=files[0].name)

    async def open_receipt(self, data: bytes, name: str = "photo") -> None:
        """The status of the receipt in a photo file."""
        try:
            report = status_from_photo(self.kiosk, data, name=name)
        except KioskError as exc:
            self.show("scan", error=message_for(exc, self.language))
        else:
            self.show("result", reports=[report])

    def open_payloads(self, payloads: list[Payload]) -> None:
        """The status of the receipt among codes the camera or a handheld scanner read."""
        receipts = [p for p in payloads if p.kind is PayloadKind.RECEIPT] or payloads
        try:
            report = open_scanned_receipt(self.kiosk, receipts[0])
        except KioskError as exc:
            self.show("scan", error=message_for(exc, self.language))
        else:
            self.show("result", reports=[report])

    def handheld_read(self, read: ScannerRead) -> None:
        """A handheld scanner's burst: a receipt opens its status, a NIK asks the birth date.

        Anything else that landed in the open question's field may be a person typing fast (a
        register number, a date): the field keeps it and the step stays.
        """
        payload = read.payload
        in_field = self.typing is not None and find_keys(self.typing[1].value or "", read.keys) >= 0
        if payload.kind is PayloadKind.RECEIPT:
            self.open_payloads([payload])
        elif in_field:
            return
        elif payload.kind is PayloadKind.NIK and payload.valid:
            self.show("birth_date", nik=payload.fields["nik"])
        elif not left_to_the_field(payload) or self.step.name == "scan":
            self.open_payloads([payload])  # says why it opens nothing

    def build_result(self, reports: list[StatusReport]) -> list[ft.Control]:
        controls: list[ft.Control] = [
            heading(self.t("selfcheck.result_title")),
            self.language_switch(),
        ]
        for report in reports:
            texts = report_lines(report, self.language)
            controls.append(line(texts[0], bold=True))
            controls += [line(value) for value in texts[1:]]
        controls.append(
            ft.Row(
                [
                    big_button(
                        self.t("selfcheck.done"),
                        lambda _: self.navigate(
                            route_for("/survey", self.language, flow="selfcheck")
                        ),
                    ),
                    big_button(
                        self.t("selfcheck.another"), lambda _: self.show("start"), primary=False
                    ),
                ],
                wrap=True,
            )
        )
        return controls
