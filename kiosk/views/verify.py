"""The officer's verification screen: the layout of a `VerifyForm` (kiosk/views/verify_form.py).

Controls are built once and changed in place: typing, answering or ticking never rebuilds a
field the officer is using (a rebuilt field loses focus and keystrokes). Only a new program or
stage rebuilds the questions and documents, because they are different ones.

Labels an end-to-end test can find (Bahasa Indonesia / English; role in brackets):
  sign-in:       "Nama petugas" / "Officer name" [textbox], "PIN" [textbox],
                 "Masuk" / "Sign in" [button]; messages "Nama atau PIN salah…", "Terlalu banyak PIN salah…"
  top bar:       "English" / "Bahasa Indonesia" [button: switches language], "Teks besar" / "Large text"
                 [switch], "Verifikasi" / "Verify", "Daftar pengajuan" / "Submissions",
                 "Sinkronisasi" / "Sync", "Keluar" / "Sign out" [buttons]
  verify:        "NIK", "Nama" / "Name", "No. KK" [textboxes; the NIK's message appears under it],
                 "Pindai foto kode" / "Scan a photo of a code" [button: a file chooser],
                 "Kamera" / "Camera" [button: reads the code by itself], "Tutup kamera" /
                 "Close the camera"; a handheld scanner needs no control (the page hears it),
                 "Program", "Tahap" / "Stage" [buttons opening a menu, named "label: choice" once
                 chosen], one such button per question (its name is the question from the rules,
                 then ": answer"), one checkbox per document (label: the
                 document's title), "Foto <title>" / "Photo <title>" [buttons], "Periksa" / "Check",
                 "Simpan" / "Save" [buttons]; results "Dokumen lengkap." / "Documents complete.",
                 "Dokumen belum lengkap…"; after saving "Tersimpan. Nomor registrasi: …", the receipt
                 image ("Tanda terima" / "Receipt"), "Cetak" / "Print", "Verifikasi baru" / "New
                 verification"
  submissions:   "Muat ulang" / "Reload" [button]; one line per submission with its state and reason
  sync:          "Sinkronkan sekarang" / "Sync now" [button], "Kemajuan sinkronisasi" / "Sync progress"
                 [progress bar]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from kiosk.domain.payloads import Payload
from kiosk.errors import KioskError
from kiosk.services.counter import print_receipt, receipt_png
from kiosk.services.handheld import ScannerRead
from kiosk.services.live_scan import LiveScan
from kiosk.services.scanning import payloads_in_photo
from kiosk.settings import DeviceSettings
from kiosk.views.camera import CameraScan
from kiosk.views.shell import AppContext, Navigate, acting, heading
from kiosk.views.verify_form import TYPED_FIELDS, Feedback, VerifyForm

PickPhoto = Callable[[], Awaitable[bytes | None]]


def _dropdown(label: str, options: list[tuple[str, str]], value: str | None) -> ft.Dropdown:
    box = ft.Dropdown(
        label=label,
        value=value,
        options=[ft.dropdown.Option(key=key, text=title) for key, title in options],
        width=480,
    )
    _announce(box, label)
    return box


def _announce(box: ft.Dropdown, label: str) -> None:
    """Name the menu button by its question and the answer chosen ("Tahap: Tahap II ...").

    Flutter's dropdown passes neither its label nor its value to screen readers; a tooltip does.
    """
    chosen = next((o.text for o in box.options or [] if o.key == box.value), None)
    box.tooltip = f"{label}: {chosen}" if chosen else label


class DocumentRow:
    """One document: held or not, its photo button, and what was photographed."""

    def __init__(self, screen: VerifyScreen, doc_id: str, title: str) -> None:
        ctx, form = screen.ctx, screen.form
        self.form, self.doc_id, self.title = form, doc_id, title
        self.check = ft.Checkbox(label=title, value=doc_id in form.held)
        self.check.on_change = acting(ctx, lambda e: screen.hold(doc_id, bool(e.control.value)))

        async def take_photo(_: Any) -> None:
            await screen.take_photo(self)

        self.photo = ft.Button(
            content=ctx.t("verify.photo", document=title),
            icon=ft.Icons.PHOTO_CAMERA,
            on_click=acting(ctx, take_photo),
        )
        self.status = ft.Text()
        self.root = ft.Row([self.check, self.photo, self.status], wrap=True)
        self.show()

    def show(self) -> None:
        form = self.form
        self.check.value = self.doc_id in form.held
        data = form.photos.get(self.doc_id)
        self.status.value = (
            form.ctx.t("verify.photo_taken", document=self.title, kilobytes=round(len(data) / 1024))
            if data
            else ""
        )


class VerifyScreen:
    """The controls of one verification screen and what each input changes, in place."""

    def __init__(
        self,
        ctx: AppContext,
        navigate: Navigate,
        form: VerifyForm,
        pick_photo: PickPhoto | None = None,
    ) -> None:
        self.ctx, self.navigate, self.form = ctx, navigate, form
        # Made on the first photo, then kept with the screen: a service the page only weakly
        # references would vanish.
        self.picker: ft.FilePicker | None = None
        self.pick_photo = pick_photo or self._pick_with_file_picker
        t = ctx.t
        self.nik = self._typed_field("nik", autofocus=True)
        self.name = self._typed_field("name")
        self.kk = self._typed_field("kk")
        self.scan_button = ft.Button(
            content=t("verify.scan"), icon=ft.Icons.QR_CODE_SCANNER, on_click=acting(ctx, self.scan)
        )
        self.scanned = ft.Text()
        settings = ctx.extras.get("device_settings") or DeviceSettings()
        self.camera = CameraScan(
            ctx.t,
            lambda: LiveScan(ctx.kiosk),
            self.scan_payloads,
            self.tell_scan,
            pace=settings.camera,
            wrap=lambda handler: acting(ctx, handler),
        )
        scanner = ctx.extras.get("scanner")
        if scanner is not None:
            scanner.target = self.handheld_read
        self.roster = ft.Text()
        self.program = _dropdown(t("verify.program"), form.programs(), form.program)
        self.stage = _dropdown(t("verify.stage"), self._stage_options(), str(form.stage))
        self.questions = ft.Column()
        self.documents = ft.Column()
        self.result = ft.Text()
        self.problem = ft.Text(color=ft.Colors.ERROR)
        self.save_button = ft.Button(content=t("verify.save"), icon=ft.Icons.SAVE)
        self.saved = ft.Column()
        self.rows: dict[str, DocumentRow] = {}
        self._wire()
        self.show_identity()
        self.show_rules()
        self.show_result()
        if form.saved_number:  # back from a language switch: the receipt stays on screen
            self.show_saved(form.saved_number)
        self.root = ft.Column(
            [
                heading(t("verify.heading")),
                self.nik,
                self.name,
                self.kk,
                ft.Row([self.scan_button, self.camera.button, self.scanned], wrap=True),
                self.camera.box,
                self.roster,
                self.program,
                self.stage,
                self.questions,
                self.documents,
                ft.Row(
                    [
                        ft.Button(
                            content=t("verify.check"),
                            icon=ft.Icons.CHECKLIST,
                            on_click=acting(ctx, self.check_all),
                        ),
                        self.save_button,
                    ]
                ),
                self.problem,
                self.result,
                self.saved,
            ],
            spacing=12,
        )

    # --- building ----------------------------------------------------------------------------

    @staticmethod
    def _number_field(label: str, value: str, *, autofocus: bool = False) -> ft.TextField:
        return ft.TextField(
            label=label,
            value=value,
            autofocus=autofocus,
            keyboard_type=ft.KeyboardType.NUMBER,
            width=640,
            error_max_lines=3,  # the reason must be read in full, not cut off
            helper_max_lines=3,
        )

    def _typed_field(self, which: str, *, autofocus: bool = False) -> ft.TextField:
        """The NIK, name or No. KK field, wired: Enter moves on, so the form works from the
        keyboard alone."""
        ctx, value = self.ctx, getattr(self.form, which)
        if which == "name":
            box = ft.TextField(label=ctx.t("verify.name"), value=value, width=640)
        else:
            box = self._number_field(ctx.t(f"verify.{which}"), value, autofocus=autofocus)
        box.on_change = acting(ctx, self.typed)
        box.on_submit = acting(
            ctx, self._focus({"nik": "name", "name": "kk", "kk": "program"}[which])
        )
        return box

    def _renew_changed_fields(self, before: dict[str, str]) -> None:
        """Give each field a scan changed a fresh control; the others are left alone (one may be
        in use: a renewed field loses the focus and the keys on their way to it).

        Flet sends a value only when it differs from the one it last sent, and keys typed in the
        browser do not count: a field that received a scanner's keys could never be emptied.
        """
        for which in TYPED_FIELDS:
            old = getattr(self, which)
            if getattr(self.form, which) == before[which]:
                continue
            fresh = self._typed_field(which)
            self.root.controls[self.root.controls.index(old)] = fresh
            setattr(self, which, fresh)

    def _stage_options(self) -> list[tuple[str, str]]:
        return [(str(number), title) for number, title in self.form.stages()]

    def _wire(self) -> None:
        ctx = self.ctx
        self.program.on_select = acting(ctx, self.chose_program)
        self.stage.on_select = acting(ctx, self.chose_stage)
        self.save_button.on_click = acting(ctx, self.save)
        self.save_button.disabled = self.form.saved_number is not None

    def _focus(self, target: str) -> Callable[[Any], Awaitable[None]]:
        async def move(_: Any) -> None:
            await getattr(self, target).focus()  # the control in place now, maybe renewed

        return move

    # --- showing what the form knows ---------------------------------------------------------

    def show_identity(self, *, final: bool = False) -> None:
        for box, feedback in (
            (self.nik, self.form.nik_feedback(final=final)),
            (self.kk, self.form.kk_feedback(final=final)),
        ):
            box.error = feedback.error
            box.helper = feedback.info
        self.roster.value = "\n".join(self.form.roster_lines())

    def show_rules(self) -> None:
        """The current stage's questions and documents (rebuilt: they are different controls)."""
        form, ctx = self.form, self.ctx
        self.questions.controls = [ft.Text(ctx.t("verify.questions"))]
        for fact in form.questions():
            box = _dropdown(
                ctx.texts(fact.question), form.answer_options(fact), form.answers.get(fact.id)
            )
            box.on_select = acting(ctx, lambda e, fact_id=fact.id: self.answer(fact_id, e))
            self.questions.controls.append(box)
        self.documents.controls = [ft.Text(ctx.t("verify.documents"))]
        self.rows = {}
        for doc_id, title in form.documents():
            row = DocumentRow(self, doc_id, title)
            self.rows[doc_id] = row
            self.documents.controls.append(row.root)

    def show_result(self) -> None:
        try:
            complete, lines = self.form.result_lines()
        except KioskError as exc:
            complete, lines = False, [self.ctx.error_text(exc)]
        self.result.value = "\n".join(lines)
        self.result.color = ft.Colors.GREEN_800 if complete else ft.Colors.ERROR

    # --- what each input does ----------------------------------------------------------------

    def typed(self, _: Any) -> None:
        form = self.form
        form.nik, form.name, form.kk = (
            self.nik.value or "",
            self.name.value or "",
            self.kk.value or "",
        )
        self.problem.value = ""
        self.show_identity()

    def answer(self, fact_id: str, event: Any) -> None:
        self.form.answers[fact_id] = event.control.value
        _announce(event.control, event.control.label)
        self.show_result()

    def hold(self, doc_id: str, held: bool) -> None:
        if held:
            self.form.held.add(doc_id)
        else:
            self.form.held.discard(doc_id)
        self.show_result()

    async def take_photo(self, row: DocumentRow) -> None:
        data = await self.pick_photo()
        if not data:
            return
        self.form.photos[row.doc_id] = data
        self.form.held.add(row.doc_id)  # a photographed document is a document in hand
        row.show()
        self.show_result()

    async def scan(self, _: Any) -> None:
        """A photo of a code (a handheld scanner needs no button: see handheld_read)."""
        data = await self.pick_photo()
        if data:
            await self.scan_picture(data)

    async def scan_picture(self, data: bytes) -> None:
        """Fill what the codes in a photo file carry; say what they are."""
        try:
            payloads = payloads_in_photo(self.ctx.kiosk, data)
        except KioskError as exc:
            self.tell_scan(self.ctx.error_text(exc), True)
            return
        self.scan_payloads(payloads)

    def scan_payloads(self, payloads: list[Payload]) -> None:
        """Codes a photo or the live camera confirmed: fill what they carry, say what they are."""
        before = self._sync_form()
        self.show_scan(self.form.apply_scan(payloads), before)

    def handheld_read(self, read: ScannerRead) -> None:
        """A handheld scanner's burst, wherever the focus was (see VerifyForm.apply_handheld)."""
        self.ctx.touch()
        before = self._sync_form()
        feedback = self.form.apply_handheld(read.keys, read.payload)
        if feedback is not None:
            self.show_scan(feedback, before)

    def _sync_form(self) -> dict[str, str]:
        """The fields as the browser last reported them (their change handlers may still be on
        the way), copied into the form before a scan changes it."""
        for which in TYPED_FIELDS:
            setattr(self.form, which, getattr(self, which).value or "")
        return {which: getattr(self.form, which) for which in TYPED_FIELDS}

    def show_scan(self, feedback: Feedback, before: dict[str, str]) -> None:
        self._renew_changed_fields(before)
        self.tell_scan(feedback.error or feedback.info or "", bool(feedback.error))
        self.show_identity()

    def tell_scan(self, sentence: str, is_error: bool) -> None:
        self.scanned.value = sentence
        self.scanned.color = ft.Colors.ERROR if is_error else None

    async def _pick_with_file_picker(self) -> bytes | None:
        if self.picker is None:
            self.picker = ft.FilePicker()
        files = await self.picker.pick_files(with_data=True, file_type=ft.FilePickerFileType.IMAGE)
        return bytes(files[0].bytes) if files and files[0].bytes else None

    def chose_program(self, _: Any) -> None:
        self.form.choose(program=self.program.value)
        self.stage.options = [
            ft.dropdown.Option(key=key, text=title) for key, title in self._stage_options()
        ]
        self.stage.value = str(self.form.stage)
        _announce(self.program, self.ctx.t("verify.program"))
        _announce(self.stage, self.ctx.t("verify.stage"))
        self.show_identity()  # the applicant's role, and so the NIK's check, depends on it
        self.show_rules()
        self.show_result()

    def chose_stage(self, _: Any) -> None:
        self.form.choose(stage=int(self.stage.value or 0))
        _announce(self.stage, self.ctx.t("verify.stage"))
        self.show_rules()
        self.show_result()

    def check_all(self, _: Any = None) -> None:
        self.typed(None)
        self.show_identity(final=True)
        self.show_result()

    def save(self, _: Any) -> None:
        self.check_all()
        try:
            problem = self.form.blocking_problem()
            if problem is None:
                outcome = self.form.save()
        except KioskError as exc:
            problem = self.ctx.error_text(exc)
        if problem is not None:
            self.problem.value = problem
            return
        self.save_button.disabled = True  # one person, one submission: no double save
        self.ctx.extras.get("record_saved", lambda: None)()  # background sync: send it soon
        self.show_saved(str(outcome.submission.register_number))

    def show_saved(self, number: str) -> None:
        ctx = self.ctx
        self.saved.controls = [
            ft.Text(
                ctx.t("verify.saved", number=number), theme_style=ft.TextThemeStyle.TITLE_MEDIUM
            )
        ]
        try:
            if not self.form.checklist().is_complete:
                self.saved.controls.append(ft.Text(ctx.t("verify.saved_incomplete")))
            path = receipt_png(ctx.kiosk, number)
        except KioskError as exc:
            self.saved.controls.append(ft.Text(ctx.error_text(exc), color=ft.Colors.ERROR))
            return
        message = ft.Text()

        def print_it(_: Any) -> None:
            try:
                print_receipt(path)
                message.value, message.color = ctx.t("verify.printed"), None
            except KioskError as exc:
                message.value, message.color = ctx.error_text(exc), ft.Colors.ERROR

        def start_over(_: Any) -> None:
            self.form.clear()
            self.navigate("/verify")

        self.saved.controls += [
            ft.Image(
                src=path.read_bytes(),
                semantics_label=ctx.t("verify.receipt"),
                width=360,
                fit=ft.BoxFit.CONTAIN,
            ),
            ft.Row(
                [
                    ft.Button(
                        content=ctx.t("verify.print"),
                        icon=ft.Icons.PRINT,
                        on_click=acting(ctx, print_it),
                    ),
                    ft.Button(
                        content=ctx.t("verify.new"),
                        icon=ft.Icons.PERSON_ADD,
                        on_click=acting(ctx, start_over),
                    ),
                ]
            ),
            message,
        ]


def verify_view(
    ctx: AppContext,
    navigate: Navigate,
    form: VerifyForm | None = None,
    pick_photo: PickPhoto | None = None,
) -> ft.Control:
    """The verification screen for `form` (the session's, so a rebuild keeps what was typed)."""
    return VerifyScreen(ctx, navigate, form or VerifyForm(ctx), pick_photo).root
