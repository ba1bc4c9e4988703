"""Storage keys, the local backend and signed media URLs (spec 70 §2; acceptance 35)."""

from __future__ import annotations

import io
import os
import uuid

import pytest

from services import storage
from services.storage import keys, signing
from services.storage.local import LocalStorage, MissingObject

TENANT, PUBLICATION = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def local(tmp_path):
    return LocalStorage(tmp_path / "root", ["secret-one"])


def test_key_builders_use_only_generated_parts():
    prefix = f"t/{TENANT}/p/{PUBLICATION}/"
    assert keys.source_key(TENANT, PUBLICATION, "PDF") == prefix + "source.pdf"
    assert keys.optimised_key(TENANT, PUBLICATION, 2) == prefix + "r2/optimised.pdf"
    assert keys.page_image_key(TENANT, PUBLICATION, 1, 3, "lo") == prefix + "r1/pages/3-lo.webp"
    assert keys.page_text_key(TENANT, PUBLICATION, 1, 3) == prefix + "r1/text/3.txt"
    cover = keys.cover_key(TENANT, PUBLICATION)
    assert cover.startswith(prefix + "cover-") and cover.endswith(".webp")
    assert cover != keys.cover_key(TENANT, PUBLICATION)
    run = uuid.uuid4()
    assert keys.automation_source_key(TENANT, run) == f"t/{TENANT}/automations/{run}/source.zip"
    with pytest.raises(ValueError):
        keys.source_key(TENANT, "../../etc", "pdf")
    with pytest.raises(keys.InvalidKey):
        keys.source_key(TENANT, PUBLICATION, "exe")


@pytest.mark.parametrize(
    "key",
    ["../x", "a/../b", "/abs", "a b", "a/é", "a//b", "a\\b", "dir/", "", "a?b", "..", "a/.."],
)
def test_unsafe_keys_are_refused(local, key):
    with pytest.raises(keys.InvalidKey):
        local.put(key, io.BytesIO(b"x"), content_type="text/plain")
    with pytest.raises(keys.InvalidKey):
        local.url(key, expires_in=60)


def test_a_symlink_out_of_the_root_is_refused(local, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    local.root.mkdir(parents=True)
    os.symlink(outside, local.root / "link")
    with pytest.raises(keys.InvalidKey):
        local.put("link/file.txt", io.BytesIO(b"x"), content_type="text/plain")
    assert list(outside.iterdir()) == []


def test_put_open_size_list_and_delete(local):
    assert local.put("t/a/one.txt", io.BytesIO(b"hello"), content_type="text/plain") == 5
    local.put("t/a/sub/two.txt", io.BytesIO(b"hi"), content_type="text/plain")
    local.put("t/b/three.txt", io.BytesIO(b"x"), content_type="text/plain")
    with local.open("t/a/one.txt") as handle:
        assert handle.read() == b"hello"
    assert local.size("t/a/one.txt") == 5 and local.exists("t/a/one.txt")
    assert list(local.list("t/a/")) == ["t/a/one.txt", "t/a/sub/two.txt"]
    assert list(local.list("t/")) == ["t/a/one.txt", "t/a/sub/two.txt", "t/b/three.txt"]
    with local.local_copy("t/a/one.txt") as path:
        assert path.read_bytes() == b"hello" and local.root not in path.parents
    assert local.delete_prefix("t/a/") == 2
    assert list(local.list("t/")) == ["t/b/three.txt"]
    assert not (local.root / "t" / "a").exists()
    local.delete("t/b/three.txt")
    local.delete("t/b/three.txt")  # deleting twice is fine
    with pytest.raises(MissingObject):
        local.open("t/b/three.txt")
    with pytest.raises(MissingObject):
        local.size("t/b/three.txt")


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(local):
    local.put("t/file.bin", io.BytesIO(b"old"), content_type="application/octet-stream")

    class Broken(io.BytesIO):
        def read(self, n=-1):
            if self.tell():
                raise OSError("disk went away")
            return super().read(2)

    with pytest.raises(OSError):
        local.put("t/file.bin", Broken(b"new content"), content_type="application/octet-stream")
    assert (local.root / "t" / "file.bin").read_bytes() == b"old"
    assert sorted(p.name for p in (local.root / "t").iterdir()) == ["file.bin"]


def test_signed_urls_verify_until_they_expire(local):
    url = local.url("t/a/page.webp", expires_in=60)
    path, _, query = url.partition("?")
    assert path == "/media/t/a/page.webp"
    params = dict(part.split("=", 1) for part in query.split("&"))
    assert local.verify("t/a/page.webp", params["e"], params["s"])
    assert not local.verify("t/a/other.webp", params["e"], params["s"])
    assert not local.verify("t/a/page.webp", str(int(params["e"]) + 1), params["s"])
    tampered = params["s"][:-1] + ("1" if params["s"][-1] == "0" else "0")  # always differs
    assert not local.verify("t/a/page.webp", params["e"], tampered)
    assert not local.verify("t/a/page.webp", None, params["s"])
    expired = signing.signed_url("secret-one", "t/a/page.webp", expires_in=60, now=0)
    e, s = (part.split("=", 1)[1] for part in expired.partition("?")[2].split("&"))
    assert not local.verify("t/a/page.webp", e, s)


def test_a_rotated_secret_still_verifies(tmp_path):
    old = LocalStorage(tmp_path, ["old-secret"]).url("k.txt", expires_in=60)
    params = dict(part.split("=", 1) for part in old.partition("?")[2].split("&"))
    assert LocalStorage(tmp_path, ["new-secret", "old-secret"]).verify(
        "k.txt", params["e"], params["s"]
    )
    assert not LocalStorage(tmp_path, ["new-secret"]).verify("k.txt", params["e"], params["s"])


def test_storage_url_selects_the_backend(app, tmp_path):
    assert isinstance(storage.build(f"file://{tmp_path}", ["s"]), LocalStorage)
    with pytest.raises(storage.StorageConfigError, match="boto3"):
        storage.build("s3://bucket/prefix", ["s"])
    with pytest.raises(storage.StorageConfigError):
        storage.build("ftp://host/x", ["s"])
    assert app.config["PUBLICATION_MAX_UPLOAD_MB"] == 512
    assert app.config["MAX_CONTENT_LENGTH"] == 513 * 1024 * 1024
