"""Blobs kept by their SHA-256: in a folder, or in the database's `stored_file` table.

A blob's name is the SHA-256 of its bytes, so the same photo handed in twice is kept
once and a blob never changes. Which store a deployment uses is its choice
(`blob_store`): the database (the default for one host: a backup holds the evidence
too, and any API process serves it) or a folder (a shared volume, for when a year of
photos makes the database too heavy to back up nightly).

The media type is the database row's to keep; a folder keeps bytes only, and the
evidence row of the services says what they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from db.files import file_exists, get_file, put_file
from db.session import transaction

_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobStore(Protocol):
    """Where blobs are kept, by the SHA-256 of their bytes."""

    def put(self, sha256: str, content: bytes, media_type: str) -> None:
        """Keep `content` under `sha256`; a blob kept already is left as it is."""
        ...

    def get(self, sha256: str) -> bytes | None:
        """The bytes kept under `sha256`, or None."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether a blob is kept under `sha256`."""
        ...


def _checked(sha256: str, content: bytes) -> None:
    """ValueError unless `sha256` is a SHA-256 in hex and the hash of `content`."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    actual = hashlib.sha256(content).hexdigest()
    if actual != sha256:
        raise ValueError(f"the content's SHA-256 is {actual}, not {sha256}")


class FolderStore:
    """Blobs as files `root/ab/cd/<sha256>`, written whole or not at all.

    A blob is written to a temporary file beside it, flushed to disk and renamed into
    place (`os.replace`, atomic on one file system), so a reader never sees part of one
    and a crash leaves at most a stray `.partial-*` file, never a short blob. A kept
    blob is never written again: two processes putting the same new blob at once both
    rename identical bytes into place, which leaves it as it was.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        """Where the blob `sha256` is kept (two levels of folders keep each one small)."""
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, sha256: str, content: bytes, media_type: str) -> None:
        """Keep `content` under `sha256`; ValueError if it is not the content's hash."""
        _checked(sha256, content)
        final = self.path(sha256)
        if final.exists():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_folder(final.parent)

    def get(self, sha256: str) -> bytes | None:
        """The blob's bytes, or None (also for a name that is not a SHA-256)."""
        if not _SHA256.fullmatch(sha256):
            return None  # never a path built from an arbitrary string
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, sha256: str) -> bool:
        """Whether the blob is kept."""
        return bool(_SHA256.fullmatch(sha256)) and self.path(sha256).is_file()


def _sync_folder(folder: Path) -> None:
    # The rename is durable once the folder's entry is on disk; Windows cannot open a
    # folder for this, and there NTFS journals the rename itself.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DatabaseStore:
    """Blobs as rows of `stored_file`, one short transaction per call."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def put(self, sha256: str, content: bytes, media_type: str) -> None:
        """Keep `content` under `sha256`; ValueError if it is not the content's hash."""
        _checked(sha256, content)
        with transaction(self.sessions) as session:
            put_file(session, sha256=sha256, content=content, media_type=media_type, now=_now())

    def get(self, sha256: str) -> bytes | None:
        """The blob's bytes, or None."""
        with transaction(self.sessions) as session:
            row = get_file(session, sha256)
            return None if row is None else row.content

    def exists(self, sha256: str) -> bool:
        """Whether the blob is kept (its bytes are not read)."""
        with transaction(self.sessions) as session:
            return file_exists(session, sha256=sha256)


def _now() -> datetime:
    return datetime.now(UTC)


def blob_store(kind: str, *, folder: Path, sessions: sessionmaker[Session]) -> BlobStore:
    """The store a deployment chose: "folder" (under `folder`) or "database"."""
    if kind == "folder":
        return FolderStore(folder)
    if kind == "database":
        return DatabaseStore(sessions)
    raise ValueError(f"unknown blob store {kind!r}; choose 'folder' or 'database'")
