"""The server takes only JPEG, PNG, WebP (and PDF evidence), told from the bytes it receives, with
pixels counted from the header: PostScript named as a photo never reaches Ghostscript, and an
80-megapixel PNG is refused before any of it is kept."""

from __future__ import annotations

import hashlib
import os

import pytest
from PIL import EpsImagePlugin, ImageFile

from sync.protocol import BUNDLE_CONTENT_TYPE, encode_bundle
from tests.server.photos import padded_photo
from tests.store.test_attachments_content import EPS, png_header


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _put(client, data: bytes, chunk: int | None = None):
    sent = data if chunk is None else data[:chunk]
    return client.put(
        f"/v1/attachments/{_sha(data)}",
        params={"offset": 0, "total": len(data)},
        content=sent,
        headers={"Content-Type": "application/octet-stream"},
    )


@pytest.fixture
def decoders_watched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every use of Pillow's EPS plugin, Ghostscript, or any pixel decoding."""
    used: list[str] = []

    def eps_open(self: object) -> None:
        used.append("EpsImageFile._open")
        raise SyntaxError("not in this test")

    def ghostscript(*args: object, **kwargs: object) -> None:
        used.append("Ghostscript")
        raise OSError("not in this test")

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", eps_open)
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript)
    monkeypatch.setattr(EpsImagePlugin, "has_ghostscript", lambda: True)
    real_load = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        used.append(f"load {self.format}")
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return used


def test_postscript_sent_as_a_photo_is_refused_unread_and_nothing_is_kept(
    live_server, device, decoders_watched
):
    eps = EPS + os.urandom(200)
    longer = eps + os.urandom(40_000)
    with device.client() as client:
        whole = _put(client, eps)
        first_of_several = _put(client, longer, chunk=1024)
    for answer in (whole, first_of_several):
        assert answer.status_code == 415, answer.text
        assert answer.json()["error"]["code"] == "unsupported_media"
    assert live_server.state.store.size(_sha(eps)) is None
    assert live_server.state.store.received(_sha(longer)) == 0
    assert decoders_watched == []


def test_an_80_megapixel_png_is_refused_from_its_header(live_server, device, decoders_watched):
    bomb = png_header(10_000, 8_000)
    with device.client() as client:
        answer = _put(client, bomb)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "too_many_pixels"
    assert "10000x8000" in answer.json()["error"]["message"]["en"]
    assert live_server.state.store.size(_sha(bomb)) is None
    assert decoders_watched == []


def test_in_a_bundle_a_file_that_is_no_photo_is_refused_by_name_and_the_others_kept(
    live_server, device, decoders_watched
):
    good, sha_good = padded_photo(900)
    eps = EPS + os.urandom(100)
    with device.client() as client:
        answer = client.post(
            "/v1/attachments/bundle",
            content=encode_bundle([(sha_good, good), (_sha(eps), eps)]),
            headers={"Content-Type": BUNDLE_CONTENT_TYPE},
        )
    assert answer.status_code == 200, answer.text
    results = {result["sha256"]: result for result in answer.json()["results"]}
    assert results[sha_good]["complete"] is True
    assert results[_sha(eps)]["complete"] is False
    assert results[_sha(eps)]["code"] == "unsupported_media"
    assert live_server.state.store.size(_sha(eps)) is None
    assert decoders_watched == []


def test_pdf_evidence_is_kept_by_its_signature_without_being_opened(
    live_server, device, decoders_watched
):
    pdf = b"%PDF-1.7\n" + os.urandom(3000)
    with device.client() as client:
        answer = _put(client, pdf)
    assert answer.status_code == 200 and answer.json()["complete"] is True
    assert decoders_watched == []
