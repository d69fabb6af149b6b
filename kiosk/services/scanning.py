"""Scanning at the kiosk: classify what a camera or a handheld scanner read, and open scanned receipts.

Decoding images is kiosk.scan.decode's job; this module turns a decoded text (or raw bytes) into a
classified payload with this device's invitation patterns, receipt key and date. It is also the
CLI's one way into the decoders (`kiosk scan`), so the CLI never imports kiosk.scan itself; it
re-exports the decoder's CodeRead and FileScan for that.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from kiosk.bootstrap import Kiosk
from kiosk.domain.payloads import Payload, PayloadKind, classify_payload
from kiosk.errors import InputError
from kiosk.regions import default_regions
from kiosk.scan.backends import BackendStatus, active_backends
from kiosk.scan.decode import CodeRead as CodeRead
from kiosk.scan.decode import FileScan as FileScan
from kiosk.scan.decode import payload_text, scan_file, scan_files
from kiosk.scan.keyboard import KeyboardTiming, KeyboardWedge
from kiosk.scan.patterns import load_invitation_patterns
from kiosk.services.clock import Clock, system_clock
from kiosk.services.status import StatusReport, status_of
from kiosk.store.keys import receipt_key
from kiosk.store.records import device_code


def decoder_backends() -> tuple[BackendStatus, ...]:
    """The decoders this machine has, each active or not (and why not)."""
    return active_backends()


def scan_images(paths: Iterable[str | Path]) -> Iterator[FileScan]:
    """One FileScan per image, in order; a file that cannot be read never stops the batch."""
    return scan_files(paths)


def decode_text(raw: bytes) -> str | None:
    """The text in `raw`, or None for binary data (kept, but never read as text).

    The decoder's own rule (kiosk.scan.decode.payload_text), so that a camera, a photo and the
    CLI can never disagree on what is text.
    """
    return payload_text(raw)


def classify_read(
    kiosk: Kiosk, text: str | None, raw: bytes, *, clock: Clock = system_clock
) -> Payload:
    """Classify one read; `text` None means "decode `raw` here" (binary stays binary)."""
    if text is None:
        text = decode_text(raw)
    return classify_payload(
        text,
        raw,
        invitation_patterns=load_invitation_patterns(kiosk.data_dir),
        receipt_key=receipt_key(kiosk.db),
        device_code=device_code(kiosk.db),
        today=clock().date(),
        regions=default_regions(),
    )


def classify_code(kiosk: Kiosk, read: CodeRead, *, clock: Clock = system_clock) -> Payload:
    """Classify a code decoded from a picture: the one path for `kiosk scan` and the app.

    What the decoder called binary (not UTF-8, or text with stray control bytes) stays binary.
    """
    if read.is_binary:
        return classify_payload(None, read.raw)
    return classify_read(kiosk, read.text, read.raw, clock=clock)


def keyboard_wedge(
    kiosk: Kiosk, timing: KeyboardTiming | None = None, *, clock: Clock = system_clock
) -> KeyboardWedge:
    """A handheld-scanner listener whose reads are classified exactly like camera scans."""
    return KeyboardWedge(
        timing, classify=lambda text, raw: classify_read(kiosk, text, raw, clock=clock)
    )


def open_scanned_receipt(kiosk: Kiosk, payload: Payload) -> StatusReport:
    """The status of the record a scanned receipt names; only a receipt this kiosk signed opens."""
    if payload.kind is not PayloadKind.RECEIPT or not payload.valid:
        # The finding says why (not a receipt, another kiosk's, or altered): show it, open nothing.
        reason = payload.errors[0] if payload.errors else None
        raise InputError(
            "the scanned code is not a valid receipt from this kiosk",
            where="receipt",
            code=reason.code if reason else "receipt.not_receipt",
            params=dict(reason.params) if reason else {},
        )
    return status_of(kiosk, payload.fields["register_number"])


def payloads_in_photo(
    kiosk: Kiosk, data: bytes, *, name: str = "photo", clock: Clock = system_clock
) -> list[Payload]:
    """Every code in a photo (bytes from a file picker), classified; ImageError if unusable.

    The decoder reads files (it checks size and type first): the photo is written to the data
    folder only for the scan, then deleted.
    """
    folder = kiosk.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, path = tempfile.mkstemp(dir=folder, suffix=".img")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        scanned = scan_file(path)
    finally:
        Path(path).unlink(missing_ok=True)
    if scanned.error is not None:
        raise scanned.error
    return [classify_code(kiosk, read, clock=clock) for read in scanned.reads]
