"""Where photo bytes live: a content-addressed store behind a small interface.

A directory by default; object storage in production only needs another `BlobStore` (partial
uploads map to multipart parts). Chunks append to a partial object that must continue exactly
where it stands; the last chunk is checked for size and SHA-256 before the object is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from sync.protocol import ErrorCode
from sync.server.errors import RequestError

try:  # POSIX: a lock that also holds against other server processes on this host
    import fcntl
except ImportError:  # pragma: no cover - Windows runs one process; the OS lock is not needed
    fcntl = None  # type: ignore[assignment]

_READ_BLOCK = 1024 * 1024


class BlobStore(Protocol):
    """What the server needs of an attachment store; every method is safe to call concurrently."""

    def size(self, sha256: str) -> int | None:
        """Size of the complete object, or None when it is not (yet) stored."""
        ...

    def received(self, sha256: str) -> int:
        """Bytes of an unfinished upload held so far (0 when there is none)."""
        ...

    def append(self, sha256: str, offset: int, total: int, chunk: bytes) -> int:
        """Add `chunk` at `offset`; returns the bytes now held. RequestError on a bad offset."""
        ...

    def commit(self, sha256: str, total: int) -> int:
        """Check size and SHA-256 of the finished upload and keep it; on a mismatch discard it."""
        ...

    def put_whole(self, sha256: str, data: bytes) -> int:
        """Check and keep an object that arrived in one piece; returns its size.

        RequestError hash_mismatch when `data` is not `sha256`'s bytes; nothing is kept then.
        """
        ...

    def discard(self, sha256: str) -> None:
        """Forget an unfinished upload."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The complete object's bytes, for the console and exports."""
        ...


class DirectoryStore:
    """Objects in <root>/objects/ab/<sha256>; unfinished uploads in <root>/partial/."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.partial = self.root / "partial"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.partial.mkdir(parents=True, exist_ok=True)

    def _object(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256

    def _part(self, sha256: str) -> Path:
        return self.partial / f"{sha256}.part"

    def _total(self, sha256: str) -> Path:
        return self.partial / f"{sha256}.total"

    def size(self, sha256: str) -> int | None:
        try:
            return self._object(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def received(self, sha256: str) -> int:
        try:
            return self._part(sha256).stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, sha256: str, offset: int, total: int, chunk: bytes) -> int:
        with self._locked(sha256) as handle:
            held = handle.seek(0, os.SEEK_END)
            declared = self._declared_total(sha256)
            if held == 0 or declared is None:
                self._total(sha256).write_text(str(total))
            elif declared != total:
                # The device changed its mind about the file's size: the bytes held are not
                # part of this upload, so start again rather than mix two files.
                self._remove(sha256)
                raise RequestError(ErrorCode.SIZE_MISMATCH, "total changed", received=0)
            if offset != held:
                raise RequestError(ErrorCode.BAD_OFFSET, "offset", received=held)
            if held + len(chunk) > total:
                self._remove(sha256)
                raise RequestError(ErrorCode.SIZE_MISMATCH, "more than total", received=0)
            handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
            return held + len(chunk)

    def commit(self, sha256: str, total: int) -> int:
        with self._locked(sha256) as handle:
            held = handle.seek(0, os.SEEK_END)
            if held != total:
                self._remove(sha256)
                raise RequestError(ErrorCode.SIZE_MISMATCH, "size", received=0)
            handle.seek(0)
            digest = hashlib.sha256()
            for block in iter(lambda: handle.read(_READ_BLOCK), b""):
                digest.update(block)
            if digest.hexdigest() != sha256:
                self._remove(sha256)
                raise RequestError(ErrorCode.HASH_MISMATCH, "sha256", received=0)
            target = self._object(sha256)
            target.parent.mkdir(exist_ok=True)
            os.replace(self._part(sha256), target)  # atomic: an object is whole or absent
            with contextlib.suppress(FileNotFoundError):
                self._total(sha256).unlink()
            return held

    def put_whole(self, sha256: str, data: bytes) -> int:
        # Checked in memory, written once: no partial file, no size file, no reading back.
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RequestError(ErrorCode.HASH_MISMATCH, "sha256", received=0)
        target = self._object(sha256)
        target.parent.mkdir(exist_ok=True)
        temporary = self.partial / f"{sha256}.{secrets.token_hex(4)}.whole"
        try:
            with temporary.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)  # atomic: an object is whole or absent
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        return len(data)

    def discard(self, sha256: str) -> None:
        with self._locked(sha256):
            self._remove(sha256)

    def open(self, sha256: str) -> BinaryIO:
        return self._object(sha256).open("rb")

    def _declared_total(self, sha256: str) -> int | None:
        try:
            return int(self._total(sha256).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _remove(self, sha256: str) -> None:
        for path in (self._part(sha256), self._total(sha256)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    @contextlib.contextmanager
    def _locked(self, sha256: str) -> Iterator[BinaryIO]:
        descriptor = os.open(self._part(sha256), os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "r+b") as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield handle
