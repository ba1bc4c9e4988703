"""Upload checks: magic bytes agreeing with the extension, the size limit, generated keys with
SHA-256 and size (spec 70 §6 upload flow; acceptance 27, 35)."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zipfile

import pytest

from app.data import iso639_1
from app.extensions import db
from services import uploads
from services.catalog import publications
from services.errors import ValidationError
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj\n" * 100
MP3_ID3 = b"ID3\x04\x00\x00" + b"\x00" * 200
MP3_FRAME = bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\x00" * 200
M4A = struct.pack(">I", 24) + b"ftypM4A " + b"\x00" * 200


def epub(first: str = "mimetype", content: bytes = b"application/epub+zip") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(first), content, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", "<container/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (PDF, "Issue.PDF", "pdf"),
        (b"\n" * 500 + PDF, "late-header.pdf", "pdf"),
        (epub(), "book.epub", "epub"),
        (MP3_ID3, "talk.mp3", "audio"),
        (MP3_FRAME, "raw.mp3", "audio"),
        (M4A, "song.m4a", "audio"),
        (M4A, "book.m4b", "audio"),
    ],
)
def test_matching_magic_bytes_and_extension_are_accepted(data, name, kind):
    assert uploads.detect_file_type(data[:4096], name) == kind


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (PDF, "issue.epub"),
        (epub(), "book.pdf"),
        (epub(first="other.txt"), "book.epub"),
        (epub(content=b"application/zip"), "book.epub"),
        (MP3_ID3, "talk.m4a"),
        (M4A, "song.mp3"),
        (b"<html>not a pdf</html>", "fake.pdf"),
        (b"\n" * 1100 + PDF, "too-late.pdf"),
        (PDF, "issue.docx"),
        (PDF, "no-extension"),
        (b"", "empty.pdf"),
    ],
)
def test_disagreeing_files_are_refused_with_a_clear_error(data, name):
    with pytest.raises(ValidationError) as refused:
        uploads.detect_file_type(data[:4096], name)
    assert refused.value.field == "file"
    assert "PDF" in refused.value.message or "file" in refused.value.message


def test_store_source_streams_with_sha256_and_a_generated_key(app, storage_root, publisher):
    publication_uuid = uuid.uuid4()
    data = PDF * 200
    with app.app_context():
        stored = uploads.store_source(
            publisher, publication_uuid, io.BytesIO(data), "../../My Issue (final).pdf"
        )
    assert stored.key == f"t/{publisher.uuid}/p/{publication_uuid}/source.pdf"
    assert "My" not in stored.key and "final" not in stored.key
    assert stored.filename == "My Issue (final).pdf"
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (storage_root / stored.key).read_bytes() == data


def test_a_file_over_the_limit_is_refused_and_not_kept(app, storage_root, publisher, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLICATION_MAX_UPLOAD_MB", 1)
    data = PDF + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError) as refused:
        uploads.store_source(publisher, uuid.uuid4(), io.BytesIO(data), "big.pdf")
    assert refused.value.message == "The file is larger than 1 MB."
    assert [p for p in storage_root.rglob("*") if p.is_file()] == []


def test_upload_creates_the_publication_with_its_source(publisher, storage_root):
    with tenant_scope(publisher.id):
        publication = uploads.upload_publication(
            ACTOR, publisher, io.BytesIO(PDF), "spring_issue.pdf", language="es"
        )
        db.session.commit()
        row = publications.owned_publication(publisher.id, publication.uuid)
        assert (row.title, row.file_type, row.language) == ("spring issue", "pdf", "es")
        assert row.source_key.endswith(f"{publication.uuid}/source.pdf")
        assert row.source_filename == "spring_issue.pdf"
        assert row.source_sha256 == hashlib.sha256(PDF).hexdigest()
        assert [p.id for p in publications.same_file(publisher.id, row.source_sha256)] == [row.id]


def test_a_refused_create_removes_the_stored_file(publisher, storage_root):
    with tenant_scope(publisher.id), pytest.raises(ValidationError):
        uploads.upload_publication(ACTOR, publisher, io.BytesIO(PDF), "x.pdf", language="??")
    assert [p for p in storage_root.rglob("*") if p.is_file()] == []


def test_the_language_list_has_the_184_codes():
    assert len(iso639_1.CODES) == 184
    assert iso639_1.name_of("es") == "Spanish" and not iso639_1.is_valid("sh")
