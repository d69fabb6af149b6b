"""The officer's verification screen: who the person is, what the stage needs, what is missing, save.

`VerifyForm` holds the logic and is tested without Flet; `verify_view` only lays it out.

Labels an end-to-end test can find (Bahasa Indonesia / English; role in brackets):
  sign-in:       "Nama petugas" / "Officer name" [textbox], "PIN" [textbox],
                 "Masuk" / "Sign in" [button]; messages "Nama atau PIN salah…", "Terlalu banyak PIN salah…"
  top bar:       "English" / "Bahasa Indonesia" [button: switches language], "Teks besar" / "Large text"
                 [switch], "Verifikasi" / "Verify", "Daftar pengajuan" / "Submissions",
                 "Sinkronisasi" / "Sync", "Keluar" / "Sign out" [buttons]
  verify:        "Program", "Tahap" / "Stage" [dropdowns], "NIK", "Nama" / "Name", "No. KK" [textboxes;
                 the NIK's message appears under it], one dropdown per question (its label is the
                 question from the rules), one checkbox per document (label: the document's title),
                 "Foto <title>" / "Photo <title>" [buttons], "Periksa" / "Check", "Simpan" / "Save"
                 [buttons]; results "Dokumen lengkap." / "Documents complete.", "Dokumen belum lengkap…";
                 after saving "Tersimpan. Nomor registrasi: …", the receipt image (semantics label
                 "Tanda terima" / "Receipt"), "Cetak" / "Print", "Verifikasi baru" / "New verification"
  submissions:   "Muat ulang" / "Reload" [button]; one line per submission with its state and reason
  sync:          "Sinkronkan sekarang" / "Sync now" [button], "Kemajuan sinkronisasi" / "Sync progress"
                 [progress bar]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flet as ft

from kiosk.domain.identity import Role, mask_nik, parse_kk, parse_nik
from kiosk.domain.requirements import Checklist, Fact, FactKind, facts_needed
from kiosk.errors import KioskError
from kiosk.regions import default_regions
from kiosk.services.checklist import check_documents, list_programs, program_rules
from kiosk.services.counter import (
    RosterCheck,
    print_receipt,
    receipt_png,
    roster_check,
    save_verification,
)
from kiosk.services.submissions import APPLICANT_ROLE, SubmissionOutcome
from kiosk.views.shell import AppContext, Navigate, acting, heading


@dataclass(frozen=True)
class Feedback:
    """What to show under a number field: an error (keeps the field red) or a helping sentence."""

    error: str | None = None
    info: str | None = None


@dataclass
class VerifyForm:
    """Everything the verification screen knows, and every decision it makes."""

    ctx: AppContext
    program: str | None = None
    stage: int | None = None
    nik: str = ""
    name: str = ""
    kk: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    photos: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        programs = self.programs()
        if self.program is None and programs:
            self.program = programs[0][0]
        if self.stage is None and self.program:
            self.stage = self.stages()[0][0]

    # --- choices from the rules in force ---------------------------------------------------

    def programs(self) -> list[tuple[str, str]]:
        return [
            (item.rules.program, self.ctx.texts(item.rules.name))
            for item in list_programs(self.ctx.kiosk.data_dir)
        ]

    def _rules(self) -> Any:
        return program_rules(self.program or "", self.ctx.kiosk.data_dir)

    def stages(self) -> list[tuple[int, str]]:
        return [
            (stage.number, f"{self.ctx.texts(stage.title)} ({self.ctx.texts(stage.period)})")
            for stage in self._rules().stages
        ]

    def choose(self, program: str | None = None, stage: int | None = None) -> None:
        """A new program or stage: answers and documents of the old one no longer apply."""
        if program and program != self.program:
            self.program = program
            self.stage = self.stages()[0][0]
        elif stage is not None:
            self.stage = stage
        known = {fact.id for fact in self.questions()}
        self.answers = {k: v for k, v in self.answers.items() if k in known}
        documents = {doc_id for doc_id, _ in self.documents()}
        self.held &= documents
        self.photos = {k: v for k, v in self.photos.items() if k in documents}

    def questions(self) -> tuple[Fact, ...]:
        """Only the questions this stage's rules depend on."""
        return facts_needed(self._rules(), self.stage or 0)

    def answer_options(self, fact: Fact) -> list[tuple[str, str]]:
        if fact.kind is FactKind.BOOLEAN:
            return [("true", self.ctx.t("verify.yes")), ("false", self.ctx.t("verify.no"))]
        return [(choice.value, self.ctx.texts(choice.label)) for choice in fact.choices]

    def documents(self) -> list[tuple[str, str]]:
        """The stage's documents (id, title), each once, in the rule file's order."""
        rules = self._rules()
        wanted = dict.fromkeys(req.document for req in rules.stage(self.stage or 0).requirements)
        return [(doc, self.ctx.texts(rules.document(doc).title)) for doc in wanted]

    # --- live validation -------------------------------------------------------------------

    def role(self) -> Role:
        return APPLICANT_ROLE.get(self.program or "", Role.ANY)

    def nik_feedback(self) -> Feedback:
        typed = self.nik.strip()
        if not typed:
            return Feedback()
        result = parse_nik(typed, default_regions(), role=self.role())
        if not result.valid:
            first = result.errors[0]
            return Feedback(error=self.ctx.t(first.code, **first.params))
        gender = self.ctx.t(
            "verify.gender_female" if result.gender == "P" else "verify.gender_male"
        )
        region = result.region
        place = (region.district or region.regency or region.province or "") if region else ""
        info = [
            self.ctx.t(
                "verify.nik_ok",
                gender=gender,
                birth_date=result.birth_date.isoformat() if result.birth_date else "?",
                region=place,
            )
        ]
        info += [self.ctx.t(w.code, **w.params) for w in result.warnings]
        return Feedback(info=" ".join(info))

    def kk_feedback(self) -> Feedback:
        typed = self.kk.strip()
        if not typed:
            return Feedback()
        result = parse_kk(typed, default_regions())
        if not result.valid:
            first = result.errors[0]
            return Feedback(error=self.ctx.t(first.code, **first.params))
        warnings = [self.ctx.t(w.code, **w.params) for w in result.warnings]
        return Feedback(info=" ".join([self.ctx.t("verify.kk_ok"), *warnings]))

    def roster(self) -> RosterCheck | None:
        if self.nik_feedback().error or not self.nik.strip():
            return None
        return roster_check(self.ctx.kiosk, self.nik, self.name, self.program)

    def roster_lines(self) -> list[str]:
        """The roster match and the name comparison's explanation; the NIK shown masked."""
        if self.nik_feedback().error or not self.nik.strip():
            return []
        try:
            found = self.roster()
        except KioskError as exc:
            return [self.ctx.error_text(exc)]
        if found is None:
            return [self.ctx.t("verify.roster_not_found")]
        lines = [
            self.ctx.t(
                "verify.roster_found",
                program=dict(self.programs()).get(found.entry.program, found.entry.program),
                name=found.entry.name,
                nik=mask_nik(found.entry.nik),
            )
        ]
        if found.name_match is not None:
            verdict = self.ctx.t(f"name.verdict.{found.name_match.verdict.value}")
            lines.append(self.ctx.t("verify.name_verdict", verdict=verdict))
            lines += [self.ctx.t(r.code, **r.params) for r in found.name_match.reasons]
        return lines

    # --- the result --------------------------------------------------------------------------

    def checklist(self) -> Checklist:
        return check_documents(
            self.program or "",
            self.stage or 0,
            self.answers,
            self.held,
            data_dir=self.ctx.kiosk.data_dir,
        )

    def result_lines(self) -> tuple[bool, list[str]]:
        """(complete, sentences): complete, or exactly what is missing and why."""
        checklist = self.checklist()
        lines: list[str] = []
        if checklist.missing_facts:
            questions = [self.ctx.texts(fact.question) for fact in checklist.questions]
            lines.append(self.ctx.t("verify.answer_first", questions="; ".join(questions)))
        if checklist.is_complete:
            lines.insert(0, self.ctx.t("verify.complete"))
        else:
            lines.append(self.ctx.t("verify.incomplete"))
            for item in checklist.missing:
                lines.append(
                    self.ctx.t(
                        "verify.missing_item",
                        document=self.ctx.texts(item.title),
                        why=self.ctx.texts(item.why),
                    )
                )
        if checklist.unused_documents:
            titles = ", ".join(self.ctx.texts(doc.title) for doc in checklist.unused_documents)
            lines.append(self.ctx.t("verify.not_needed", documents=titles))
        return checklist.is_complete, lines

    def request(self) -> dict[str, Any]:
        """The submission JSON (README "Submission JSON") for what is on screen."""
        kinds = {fact.id: fact.kind for fact in self.questions()}
        facts: dict[str, Any] = {
            key: (value == "true") if kinds.get(key) is FactKind.BOOLEAN else value
            for key, value in self.answers.items()
        }
        applicant: dict[str, Any] = {"nik": self.nik, "name": self.name}
        if self.kk.strip():
            applicant["kk"] = self.kk
        return {
            "program": self.program,
            "stage": self.stage,
            "applicant": applicant,
            "facts": facts,
            "documents": [{"type": doc} for doc, _ in self.documents() if doc in self.held],
        }

    def save(self) -> SubmissionOutcome:
        return save_verification(self.ctx.kiosk, self.request(), self.photos)


def _dropdown(label: str, options: list[tuple[str, str]], value: str | None) -> ft.Dropdown:
    return ft.Dropdown(
        label=label,
        tooltip=label,  # Flutter's dropdown does not pass its label to screen readers; this does
        value=value,
        options=[ft.dropdown.Option(key=key, text=title) for key, title in options],
        width=480,
    )


def verify_view(
    ctx: AppContext, navigate: Navigate, pick_photo: Callable[..., Any] | None = None
) -> ft.Control:
    """Lay out a VerifyForm; `pick_photo` is an async () -> bytes | None (a FilePicker by default)."""
    form = VerifyForm(ctx)
    column = ft.Column(spacing=12)

    async def default_pick() -> bytes | None:
        files = await ft.FilePicker().pick_files(
            with_data=True, file_type=ft.FilePickerFileType.IMAGE
        )
        return files[0].bytes if files else None

    picker = pick_photo or default_pick
    program = _dropdown(ctx.t("verify.program"), form.programs(), form.program)
    stage = _dropdown(ctx.t("verify.stage"), [(str(n), t) for n, t in form.stages()], None)
    stage.value = str(form.stage)
    nik = ft.TextField(
        label=ctx.t("verify.nik"),
        autofocus=True,
        keyboard_type=ft.KeyboardType.NUMBER,
        width=640,
        error_max_lines=3,  # the reason must be read in full, not cut off
        helper_max_lines=3,
    )
    name = ft.TextField(label=ctx.t("verify.name"), width=640)
    kk = ft.TextField(
        label=ctx.t("verify.kk"),
        keyboard_type=ft.KeyboardType.NUMBER,
        width=640,
        error_max_lines=3,
        helper_max_lines=3,
    )
    roster_box = ft.Column()
    questions_box = ft.Column()
    documents_box = ft.Column()
    result_box = ft.Column()
    saved_box = ft.Column()

    def show_identity() -> None:
        for box, feedback in ((nik, form.nik_feedback()), (kk, form.kk_feedback())):
            box.error = feedback.error
            box.helper = feedback.info
        roster_box.controls = [ft.Text(line) for line in form.roster_lines()]

    def show_rules() -> None:
        questions_box.controls = [ft.Text(ctx.t("verify.questions"))]
        for fact in form.questions():
            box = _dropdown(
                ctx.texts(fact.question), form.answer_options(fact), form.answers.get(fact.id)
            )
            box.on_select = acting(ctx, lambda e, fact_id=fact.id: answer(fact_id, e))
            questions_box.controls.append(box)
        documents_box.controls = [ft.Text(ctx.t("verify.documents"))]
        for doc_id, title in form.documents():
            check = ft.Checkbox(label=title, value=doc_id in form.held)
            check.on_change = acting(ctx, lambda e, doc_id=doc_id: hold(doc_id, e))
            photo = ft.Button(
                content=ctx.t("verify.photo", document=title),
                on_click=acting(ctx, photo_handler(doc_id)),
            )
            row: list[ft.Control] = [check, photo]
            if doc_id in form.photos:
                kilobytes = round(len(form.photos[doc_id]) / 1024)
                row.append(
                    ft.Text(ctx.t("verify.photo_taken", document=title, kilobytes=kilobytes))
                )
            documents_box.controls.append(ft.Row(row, wrap=True))

    def show_result() -> None:
        try:
            complete, lines = form.result_lines()
        except KioskError as exc:
            complete, lines = False, [ctx.error_text(exc)]
        color = ft.Colors.GREEN_800 if complete else ft.Colors.ERROR
        result_box.controls = [ft.Text(line, color=color) for line in lines]

    def answer(fact_id: str, event: Any) -> None:
        form.answers[fact_id] = event.control.value
        show_result()

    def hold(doc_id: str, event: Any) -> None:
        if event.control.value:
            form.held.add(doc_id)
        else:
            form.held.discard(doc_id)
        show_result()

    def photo_handler(doc_id: str) -> Callable[[Any], Any]:
        async def take_photo(_: Any) -> None:
            data = await picker()
            if data:
                form.photos[doc_id] = data
                form.held.add(doc_id)  # a photographed document is a document in hand
                show_rules()
                show_result()
                column.update()

        return take_photo

    def changed(_: Any) -> None:
        form.nik, form.name, form.kk = nik.value or "", name.value or "", kk.value or ""
        show_identity()

    def chose_program(_: Any) -> None:
        form.choose(program=program.value)
        stage.options = [ft.dropdown.Option(key=str(n), text=t) for n, t in form.stages()]
        stage.value = str(form.stage)
        show_rules()
        show_result()

    def chose_stage(_: Any) -> None:
        form.choose(stage=int(stage.value or 0))
        show_rules()
        show_result()

    def save(_: Any) -> None:
        changed(None)
        if form.nik_feedback().error or form.kk_feedback().error:
            saved_box.controls = [ft.Text(ctx.t("verify.fix_first"), color=ft.Colors.ERROR)]
            return
        try:
            if form.checklist().missing_facts:  # say which questions, in words, before saving
                show_result()
                saved_box.controls = [ft.Text(ctx.t("verify.fix_first"), color=ft.Colors.ERROR)]
                return
            outcome = form.save()
        except KioskError as exc:
            saved_box.controls = [ft.Text(ctx.error_text(exc), color=ft.Colors.ERROR)]
            return
        number = str(outcome.submission.register_number)
        saved_box.controls = [
            ft.Text(
                ctx.t("verify.saved", number=number), theme_style=ft.TextThemeStyle.TITLE_MEDIUM
            )
        ]
        if not outcome.checklist.is_complete:
            saved_box.controls.append(ft.Text(ctx.t("verify.saved_incomplete")))
        show_receipt(number)

    def show_receipt(number: str) -> None:
        message = ft.Text()
        try:
            path = receipt_png(ctx.kiosk, number)
        except KioskError as exc:
            saved_box.controls.append(ft.Text(ctx.error_text(exc), color=ft.Colors.ERROR))
            return

        def print_it(_: Any) -> None:
            try:
                print_receipt(path)
                message.value = ctx.t("verify.printed")
            except KioskError as exc:
                message.value = ctx.error_text(exc)
                message.color = ft.Colors.ERROR

        saved_box.controls += [
            ft.Image(
                src=path.read_bytes(),
                semantics_label=ctx.t("verify.receipt"),
                width=360,
                fit=ft.BoxFit.CONTAIN,
            ),
            ft.Row(
                [
                    ft.Button(content=ctx.t("verify.print"), on_click=acting(ctx, print_it)),
                    ft.Button(
                        content=ctx.t("verify.new"),
                        on_click=acting(ctx, lambda _: navigate("/verify")),
                    ),
                ]
            ),
            message,
        ]

    def focus_next(target: ft.Control) -> Callable[[Any], Any]:
        # Enter moves on, so the whole form works from the keyboard alone.
        async def move(_: Any) -> None:
            changed(None)
            await target.focus()  # type: ignore[attr-defined]

        return move

    for box in (nik, name, kk):
        box.on_change = acting(ctx, changed)
    nik.on_submit = acting(ctx, focus_next(name))
    name.on_submit = acting(ctx, focus_next(kk))
    kk.on_submit = acting(ctx, focus_next(program))
    program.on_select = acting(ctx, chose_program)
    stage.on_select = acting(ctx, chose_stage)
    show_rules()
    show_result()
    column.controls = [
        heading(ctx.t("verify.heading")),
        nik,
        name,
        kk,
        roster_box,
        program,
        stage,
        questions_box,
        documents_box,
        ft.Row(
            [
                ft.Button(
                    content=ctx.t("verify.check"), on_click=acting(ctx, lambda _: show_all())
                ),
                ft.Button(content=ctx.t("verify.save"), on_click=acting(ctx, save)),
            ]
        ),
        result_box,
        saved_box,
    ]

    def show_all() -> None:
        changed(None)
        show_result()

    return column
