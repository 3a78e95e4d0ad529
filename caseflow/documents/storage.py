"""Where documents' bytes live: the storage root (``DOCUMENT_STORAGE_ROOT``, by default
``<instance>/documents``), outside ``static/`` and never under a name a user chose.

A file arrives in ``<root>/incoming/`` under a random name, copied in chunks from the upload
while its SHA-256 and size are computed (so a large upload is never held in memory), and
refused as soon as it passes the size limit. Once its content is accepted it moves (an
atomic rename on the same file system) to ``<root>/<first two hex digits>/<name>``. Every
path is built from a name of 32 hex digits and checked to stay inside the root.

Files are readable by their owner only (0600, folders 0700), like the backups. Several web
hosts share one root on a shared volume (README: "Dokumente").
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
NAME = re.compile(r"[0-9a-f]{32}")
INCOMING = "incoming"
FILE_MODE = 0o600
FOLDER_MODE = 0o700


class TooLarge(ValueError):
    """The upload passed the size limit; nothing of it is kept."""


@dataclass(frozen=True)
class Received:
    """An upload written to the incoming folder, not yet accepted."""

    name: str
    path: Path
    size: int
    sha256: str


def new_name() -> str:
    return secrets.token_hex(16)


def _inside(root: Path, path: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ValueError(f"{path} is not inside the storage root")
    return resolved


def stored_path(root: Path, name: str) -> Path:
    """The place of the accepted file ``name`` (``ValueError`` for anything that is not a
    generated name, so no path from outside can reach the file system)."""
    if NAME.fullmatch(name) is None:
        raise ValueError(f"{name!r} is not a storage name")
    return _inside(root, root / name[:2] / name)


def receive(root: Path, stream: BinaryIO, *, max_bytes: int) -> Received:
    """Copy ``stream`` into ``<root>/incoming/`` in chunks, hashing as it goes; raise
    ``TooLarge`` (and remove the partial file) once more than ``max_bytes`` arrived."""
    folder = root / INCOMING
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    name = new_name()
    path = _inside(root, folder / name)
    digest = hashlib.sha256()
    size = 0
    try:
        # Created for its owner only, like the backups: the files hold personal data.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with open(descriptor, "wb") as target:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"more than {max_bytes} bytes")
                digest.update(chunk)
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(name=name, path=path, size=size, sha256=digest.hexdigest())


def accept(root: Path, received: Received) -> Path:
    """Move ``received`` to its place in the root; return that path."""
    target = stored_path(root, received.name)
    target.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.replace(received.path, target)
    return target


def discard(received: Received) -> None:
    received.path.unlink(missing_ok=True)


def remove(root: Path, name: str) -> None:
    """Delete the accepted file ``name`` (gone already is fine)."""
    stored_path(root, name).unlink(missing_ok=True)


def sha256_of(path: Path) -> str | None:
    """The SHA-256 of the file at ``path`` read in chunks; None when it is missing or
    cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
    except OSError:  # missing, unreadable, a folder: not the file that was stored
        return None
    return digest.hexdigest()


def intact(root: Path, name: str, sha256: str) -> bool:
    """Whether the stored file ``name`` is there and still has the hash it was stored with."""
    return sha256_of(stored_path(root, name)) == sha256


@contextlib.contextmanager
def cleaned_up(received: list[Received]) -> Iterator[None]:
    """Remove every incoming file of ``received`` that is still in the incoming folder when
    the block ends (accepted ones have moved on)."""
    try:
        yield
    finally:
        for item in received:
            discard(item)
