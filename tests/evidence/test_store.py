"""Blobs kept by their SHA-256: in a folder and in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db import files
from db.session import session_factory, transaction
from evidence.store import BlobStore, DatabaseStore, FolderStore, blob_store

PHOTO = b"\xff\xd8\xff\xe0 bukti dukung \xff\xd9"
SHA = hashlib.sha256(PHOTO).hexdigest()
OTHER = b"%PDF-1.4 daftar hadir %%EOF"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def round_trip(store: BlobStore) -> None:
    """What every store does: keep, find, give back, keep once, refuse a wrong name."""
    assert not store.exists(SHA) and store.get(SHA) is None
    store.put(SHA, PHOTO, "image/jpeg")
    assert store.exists(SHA) and store.get(SHA) == PHOTO
    store.put(SHA, PHOTO, "image/jpeg")  # again: nothing changes, nothing fails
    assert store.get(SHA) == PHOTO
    with pytest.raises(ValueError, match="SHA-256"):
        store.put(sha(OTHER), PHOTO, "image/jpeg")
    assert not store.exists(sha(OTHER))
    with pytest.raises(ValueError):
        store.put(SHA.upper(), PHOTO, "image/jpeg")


# --- the folder --------------------------------------------------------------------------


def test_a_folder_store_keeps_gives_back_and_refuses_a_wrong_hash(tmp_path: Path) -> None:
    round_trip(FolderStore(tmp_path))


def test_a_blob_lives_two_folders_down_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    store.put(SHA, PHOTO, "image/jpeg")
    store.put(sha(OTHER), OTHER, "application/pdf")
    assert (tmp_path / SHA[:2] / SHA[2:4] / SHA).read_bytes() == PHOTO
    kept = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert kept == sorted([SHA, sha(OTHER)])  # nothing but the blobs themselves


def test_a_kept_blob_is_never_written_again(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    store.put(SHA, PHOTO, "image/jpeg")
    before = store.path(SHA).stat()
    store.put(SHA, PHOTO, "image/jpeg")
    after = store.path(SHA).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_failed_write_leaves_neither_a_blob_nor_a_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(_source: object, _target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    store = FolderStore(tmp_path)
    with pytest.raises(OSError, match="No space"):
        store.put(SHA, PHOTO, "image/jpeg")
    assert not store.exists(SHA)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_the_blob_appears_only_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # At the moment of the rename the whole content is on disk beside the blob's place,
    # and the blob's place itself is still empty: a reader sees nothing or everything.
    store = FolderStore(tmp_path)
    seen: list[tuple[bytes, bool]] = []
    real_replace = os.replace

    def watching(source: str, target: str) -> None:
        seen.append((Path(source).read_bytes(), Path(target).exists()))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", watching)
    store.put(SHA, PHOTO, "image/jpeg")
    assert seen == [(PHOTO, False)]


def test_a_name_that_is_not_a_hash_never_reaches_the_disk(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"x")
    store = FolderStore(tmp_path / "blobs")
    for name in ("../secret", "../../etc/passwd", "", SHA.upper()):
        assert store.get(name) is None and not store.exists(name)
        with pytest.raises(ValueError):
            store.put(name, b"x", "text/plain")


# --- the database ------------------------------------------------------------------------


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    return session_factory(db_url)


def test_a_database_store_keeps_gives_back_and_refuses_a_wrong_hash(
    sessions: sessionmaker[Session],
) -> None:
    round_trip(DatabaseStore(sessions))


def test_a_database_blob_is_a_stored_file_row_with_its_type(
    sessions: sessionmaker[Session],
) -> None:
    DatabaseStore(sessions).put(SHA, PHOTO, "image/jpeg")
    DatabaseStore(sessions).put(SHA, PHOTO, "image/jpeg")
    with transaction(sessions) as session:
        row = files.get_file(session, SHA)
        assert row is not None
        assert (row.media_type, row.size, row.content) == ("image/jpeg", len(PHOTO), PHOTO)
        assert files.file_exists(session, sha256=SHA)
        assert not files.file_exists(session, sha256=sha(OTHER))


# --- the choice --------------------------------------------------------------------------


def test_a_deployment_chooses_its_store(tmp_path: Path) -> None:
    sessions = session_factory(f"sqlite:///{tmp_path / 'unused.db'}")
    assert isinstance(blob_store("folder", folder=tmp_path, sessions=sessions), FolderStore)
    assert isinstance(blob_store("database", folder=tmp_path, sessions=sessions), DatabaseStore)
    with pytest.raises(ValueError, match="'folder' or 'database'"):
        blob_store("s3", folder=tmp_path, sessions=sessions)
