"""Content-addressed storage: one file per content, under its SHA-256, written atomically."""
import hashlib

import pytest

from occ_core.documents.storage import FilesystemStorage, MissingContent, make_storage, storage_of


def test_put_open_exists_size(tmp_path):
    storage = FilesystemStorage(tmp_path)
    content = b"%PDF-1.4 contenuto"
    digest = storage.put(content)
    assert digest == hashlib.sha256(content).hexdigest()
    path = tmp_path / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == content
    assert storage.exists(digest) and storage.size(digest) == len(content)
    with storage.open(digest) as stream:
        assert stream.read() == content


def test_the_same_content_is_stored_once(tmp_path):
    storage = FilesystemStorage(tmp_path)
    first = storage.put(b"stesso contenuto")
    mtime = storage.path_of(first).stat().st_mtime_ns
    assert storage.put(b"stesso contenuto") == first
    assert storage.path_of(first).stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [first]


def test_a_damaged_copy_is_replaced(tmp_path):
    storage = FilesystemStorage(tmp_path)
    digest = storage.put(b"contenuto integro")
    storage.path_of(digest).write_bytes(b"contenuto")  # truncated by a crash of another system
    assert storage.put(b"contenuto integro") == digest
    assert storage.open(digest).read() == b"contenuto integro"


def test_no_temporary_file_is_left(tmp_path):
    storage = FilesystemStorage(tmp_path)
    for index in range(5):
        storage.put(f"documento {index}".encode())
    assert not [p for p in tmp_path.rglob(".upload-*")]


@pytest.mark.parametrize("digest", ["../../etc/passwd", "A" * 64, "a" * 63, "", "a" * 64 + "/", "a" * 64 + "\n"])
def test_only_a_hex_digest_reaches_the_filesystem(tmp_path, digest):
    storage = FilesystemStorage(tmp_path)
    for operation in (storage.open, storage.exists, storage.size):
        with pytest.raises(ValueError):
            operation(digest)


def test_missing_content(tmp_path):
    storage = FilesystemStorage(tmp_path)
    with pytest.raises(MissingContent):
        storage.open("0" * 64)
    with pytest.raises(MissingContent):
        storage.size("0" * 64)
    assert not storage.exists("0" * 64)


def test_location_from_settings(tmp_path):
    assert make_storage({"occ.var_dir": str(tmp_path)}).root == tmp_path / "files"
    assert make_storage({"occ.var_dir": str(tmp_path), "occ.storage_dir": str(tmp_path / "altrove")}).root == \
        tmp_path / "altrove"


def test_another_backend_plugs_in_by_setting(tmp_path):
    storage = make_storage({"occ.var_dir": str(tmp_path),
                            "occ.storage_factory": "occ_core.documents.storage:filesystem_storage"})
    assert isinstance(storage, FilesystemStorage)


def test_the_application_storage_is_under_var(registry, settings):
    storage = storage_of(registry)
    assert str(storage.root).startswith(settings["occ.var_dir"])
