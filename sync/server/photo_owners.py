"""Which photos a device may attach to its records: the ones it sent (issue 11, item 14).

Photos go by SHA-256, and a hash is not a secret kept like a key: it is in every record that names
the photo and in the server's answers. So holding the hash proves nothing; holding the bytes does.
A device owns a photo when it uploaded it, or, when the server already held those bytes (another
device sent the same file), when it sent them again whole and they hashed right. Until then the
photo counts as missing for that device, so the kiosk sends it; a record naming a photo its device
does not own is refused on its own (numbering.py does the same for register numbers).

A photo already held and sent again in chunks (bigger than one chunk) is not proven that way: the
server answers it complete from the first chunk, as before. Two devices with the same large file
are the case left; its record is refused, and says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sync.server.storage import Database, attachment_owners
from sync.server.validation import Rejection

NOT_OWNED = Rejection("server.reject.photo_not_owned", "attachments")
_SLICE = 500


def proves(sha256: str, data: bytes) -> bool:
    """True when `data` is the whole photo `sha256` names."""
    return hashlib.sha256(data).hexdigest() == sha256


def grant(
    database: Database, connection: Connection, device_id: int, sha256s: Collection[str]
) -> None:
    """Record that the device sent these photos' bytes (in the caller's transaction)."""
    if sha256s:
        connection.execute(
            database.insert_ignoring_duplicates(attachment_owners),
            [{"sha256": sha256, "device_id": device_id} for sha256 in sorted(set(sha256s))],
        )


def owned(connection: Connection, device_id: int, sha256s: Collection[str]) -> set[str]:
    """The photos among `sha256s` this device sent."""
    wanted = sorted(set(sha256s))
    found: set[str] = set()
    for start in range(0, len(wanted), _SLICE):
        found.update(
            connection.execute(
                select(attachment_owners.c.sha256).where(
                    attachment_owners.c.device_id == device_id,
                    attachment_owners.c.sha256.in_(wanted[start : start + _SLICE]),
                )
            ).scalars()
        )
    return found
