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
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from sync.protocol import ErrorCode
from sync.server.errors import RequestError

try:  # POSIX: a lock that also holds against other server processes on this host
    import fcntl
except ImportError:  # pragma: no cover - Windows runs one process; the OS lock is not needed
    fcntl = None  # type: ignore[assignment]

_READ_BLOCK = 1024 * 1024
# Threads that flush a bundle's files to disk side by side: the file system joins their
# flushes into fewer journal commits (here about three times faster than one after another).
_FLUSHERS = 8
_flush_pool: ThreadPoolExecutor | None = None
_flush_pool_lock = threading.Lock()


def _fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_all(paths: list[Path]) -> None:
    """fsync every file of `paths`, in parallel; raises the first failure after all are done."""
    global _flush_pool
    if len(paths) <= 1:
        for path in paths:
            _fsync_path(path)
        return
    with _flush_pool_lock:  # created on first use, in the process that serves (after a fork)
        if _flush_pool is None:
            _flush_pool = ThreadPoolExecutor(_FLUSHERS, "lengkap-fsync")
        pool = _flush_pool
    futures = [pool.submit(_fsync_path, path) for path in paths]
    wait(futures)
    for future in futures:
        future.result()


class Pending(NamedTuple):
    """One device's unfinished uploads: how many, and the bytes they announced in all."""

    count: int
    declared_bytes: int


class BlobStore(Protocol):
    """What the server needs of an attachment store; every method is safe to call concurrently."""

    def size(self, sha256: str) -> int | None:
        """Size of the complete object, or None when it is not (yet) stored."""
        ...

    def received(self, sha256: str) -> int:
        """Bytes of an unfinished upload held so far (0 when there is none)."""
        ...

    def append(
        self, sha256: str, offset: int, total: int, chunk: bytes, owner: int | None = None
    ) -> int:
        """Add `chunk` at `offset`; returns the bytes now held. RequestError on a bad offset.

        `owner` (the device) is recorded when the upload starts, for `pending()`.
        """
        ...

    def pending(self, owner: int) -> Pending:
        """The unfinished uploads `owner` started and has not finished or lost."""
        ...

    def sweep(self, older_than: float) -> int:
        """Delete unfinished uploads untouched since `older_than` (a time.time() value);
        returns how many."""
        ...

    def free_bytes(self) -> int | None:
        """Space left where objects are written; None when the store cannot tell (or need not)."""
        ...

    def commit(self, sha256: str, total: int) -> int:
        """Check size and SHA-256 of the finished upload and keep it; on a mismatch discard it."""
        ...

    def put_whole(self, sha256: str, data: bytes) -> int:
        """Check and keep an object that arrived in one piece; returns its size.

        RequestError hash_mismatch when `data` is not `sha256`'s bytes; nothing is kept then.
        """
        ...

    def put_many(self, items: list[tuple[str, bytes]]) -> dict[str, RequestError | int]:
        """Check and keep several objects that arrived whole, each as put_whole would.

        Returns per SHA-256 its size, or the RequestError that refused it (nothing of that one
        is kept). Every object answered with a size is durable when this returns.
        """
        ...

    def discard(self, sha256: str) -> None:
        """Forget an unfinished upload."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The complete object's bytes, for the console and exports."""
        ...


def _is_sha256(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


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

    def append(
        self, sha256: str, offset: int, total: int, chunk: bytes, owner: int | None = None
    ) -> int:
        with self._locked(sha256) as handle:
            held = handle.seek(0, os.SEEK_END)
            declared = self._declared_total(sha256)
            if held == 0 or declared is None:
                # The size file also names who started the upload: quotas count by device.
                owned = "" if owner is None else f" {owner}"
                self._total(sha256).write_text(f"{total}{owned}")
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

    def put_many(self, items: list[tuple[str, bytes]]) -> dict[str, RequestError | int]:
        # Written first, flushed to disk together, then renamed: an object is whole or absent,
        # and the disk's write-back for one overlaps the next photo's writing.
        outcome: dict[str, RequestError | int] = {}
        written: list[tuple[str, Path]] = []
        try:
            for sha256, data in items:
                if hashlib.sha256(data).hexdigest() != sha256:
                    outcome[sha256] = RequestError(ErrorCode.HASH_MISMATCH, "sha256", received=0)
                    continue
                temporary = self.partial / f"{sha256}.{secrets.token_hex(4)}.whole"
                descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                written.append((sha256, temporary))
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                outcome[sha256] = len(data)
            _fsync_all([temporary for _sha256, temporary in written])
            for sha256, temporary in written:
                target = self._object(sha256)
                target.parent.mkdir(exist_ok=True)
                os.replace(temporary, target)  # atomic: an object is whole or absent
        finally:
            for _sha256, temporary in written:
                with contextlib.suppress(FileNotFoundError):
                    temporary.unlink()
        return outcome

    def discard(self, sha256: str) -> None:
        with self._locked(sha256):
            self._remove(sha256)

    def open(self, sha256: str) -> BinaryIO:
        return self._object(sha256).open("rb")

    def pending(self, owner: int) -> Pending:
        count = declared = 0
        wanted = str(owner)
        for entry in os.scandir(self.partial):
            if not entry.name.endswith(".total"):
                continue
            try:
                fields = Path(entry.path).read_text().split()
            except FileNotFoundError:  # finished or discarded meanwhile
                continue
            if len(fields) == 2 and fields[1] == wanted and fields[0].isdigit():
                count += 1
                declared += int(fields[0])
        return Pending(count, declared)

    def sweep(self, older_than: float) -> int:
        # By the newest change among an upload's files: a device still resuming keeps its bytes.
        newest: dict[str, float] = {}
        for entry in os.scandir(self.partial):
            try:
                changed = entry.stat().st_mtime
            except FileNotFoundError:
                continue
            key = entry.name.split(".", 1)[0]
            newest[key] = max(changed, newest.get(key, 0.0))
        swept = 0
        for key, changed in newest.items():
            if changed >= older_than:
                continue
            if _is_sha256(key):
                with self._locked(key):  # not while a chunk is being appended
                    self._remove(key)
            for leftover in self.partial.glob(f"{key}.*"):  # half-written .whole files
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            swept += 1
        return swept

    def free_bytes(self) -> int | None:
        return shutil.disk_usage(self.root).free

    def _declared_total(self, sha256: str) -> int | None:
        try:
            return int(self._total(sha256).read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
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
