"""Content-addressed file storage: every content is kept once, under its SHA-256 (the impronta).

The interface is what the rest of the platform uses; the filesystem implementation is the default.
Another backend (an S3-compatible bucket, say) is a class with the same four methods, named by the
setting ``occ.storage_factory`` (a dotted name of a callable taking the settings). Only a validated hex
digest ever becomes a path or a key: nothing that a user typed or uploaded names a file."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from pyramid.path import DottedNameResolver

DIGEST = re.compile(r"[0-9a-f]{64}")
REGISTRY_KEY = "documents.storage"


class MissingContent(LookupError):
    """The storage holds no content under this digest (lost or never stored)."""


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def checked_digest(digest: str) -> str:
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise ValueError("not a SHA-256 hex digest")
    return digest


class DocumentStorage(Protocol):
    def put(self, content: bytes) -> str:
        """Store ``content`` (idempotent: the same content twice is stored once); return its SHA-256."""

    def open(self, digest: str) -> BinaryIO:
        """A binary stream of the content stored under ``digest``; ``MissingContent`` if there is none."""

    def exists(self, digest: str) -> bool:
        ...

    def size(self, digest: str) -> int:
        ...


class FilesystemStorage:
    """Files under ``<root>/ab/cd/<digest>``: two levels of folders keep each folder small."""

    def __init__(self, root):
        self.root = Path(root)

    def path_of(self, digest: str) -> Path:
        digest = checked_digest(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, content: bytes) -> str:
        digest = sha256_of(content)
        target = self.path_of(digest)
        if target.exists() and target.stat().st_size == len(content):
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file, and two writers of the same
        # content (same name, same bytes) cannot spoil each other.
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o640)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path_of(digest).open("rb")
        except FileNotFoundError:
            raise MissingContent(digest) from None

    def exists(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def size(self, digest: str) -> int:
        try:
            return self.path_of(digest).stat().st_size
        except FileNotFoundError:
            raise MissingContent(digest) from None


def filesystem_storage(settings) -> FilesystemStorage:
    return FilesystemStorage(settings.get("occ.storage_dir") or Path(settings["occ.var_dir"]) / "files")


def make_storage(settings) -> DocumentStorage:
    factory = settings.get("occ.storage_factory")
    return DottedNameResolver().resolve(factory)(settings) if factory else filesystem_storage(settings)


def storage_of(registry) -> DocumentStorage:
    """The storage of this process, for tasks and commands (``env.registry``); views use
    ``request.document_storage``."""
    return registry[REGISTRY_KEY]


def includeme(config):
    config.registry[REGISTRY_KEY] = make_storage(config.get_settings())
    config.add_request_method(lambda request: storage_of(request.registry), "document_storage", reify=True)
