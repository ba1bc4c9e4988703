"""Publication uploads (spec 70 §6 upload flow): the type from magic bytes agreeing with the
extension, the size limit, streaming to storage under a generated key with SHA-256 and size,
then the publication itself under the quota."""

from __future__ import annotations

import hashlib
import struct
import uuid as uuid_lib
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import BinaryIO

from flask import current_app

from services.activity import Actor
from services.catalog import fields, publications
from services.catalog.sanitize import clean_line
from services.errors import ValidationError
from services.storage import get_storage, keys

HEAD_BYTES = 4096
ACCEPTED = "Upload a PDF, EPUB, MP3, M4A or M4B file."
# extension -> (file_type, the container its magic bytes must show)
EXTENSIONS = {
    "pdf": ("pdf", "pdf"),
    "epub": ("epub", "epub"),
    "mp3": ("audio", "mp3"),
    "m4a": ("audio", "mp4"),
    "m4b": ("audio", "mp4"),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "epub": "application/epub+zip",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "m4b": "audio/mp4",
}
EPUB_MIMETYPE = b"application/epub+zip"


@dataclass(frozen=True)
class StoredSource:
    """An original upload in storage; `filename` is for display only, never part of `key`."""

    key: str
    filename: str
    size: int
    sha256: str
    file_type: str
    content_type: str


def extension_of(filename: str) -> str:
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    return name.rpartition(".")[2].lower() if "." in name else ""


def display_name(filename: str) -> str:
    """The base name people see, without any folder part or control characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    return clean_line(name, field="file", max_length=255, required=False) or "upload"


def _is_epub(head: bytes) -> bool:
    """A ZIP whose first entry is `mimetype`, stored, holding application/epub+zip."""
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return False
    name_length, extra_length = struct.unpack("<HH", head[26:30])
    name = head[30 : 30 + name_length]
    start = 30 + name_length + extra_length
    return name == b"mimetype" and head[start : start + len(EPUB_MIMETYPE)] == EPUB_MIMETYPE


def _is_mp3(head: bytes) -> bool:
    if head[:3] == b"ID3":
        return True
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0x3
    return version != 0b01 and layer != 0b00 and bitrate != 0xF and rate != 0b11


def _container(head: bytes) -> str | None:
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if _is_epub(head):
        return "epub"
    if head[4:8] == b"ftyp":
        return "mp4"
    if _is_mp3(head):
        return "mp3"
    return None


def detect_file_type(head: bytes, filename: str) -> str:
    """ "pdf", "epub" or "audio" when the first bytes and the extension agree; else a
    ValidationError on field `file` that says what is wrong."""
    ext = extension_of(filename)
    if ext not in EXTENSIONS:
        raise ValidationError(ACCEPTED, field="file")
    file_type, expected = EXTENSIONS[ext]
    if _container(head) != expected:
        raise ValidationError(
            f"The file's contents are not a {ext.upper()} file; check it and upload it again.",
            field="file",
        )
    return file_type


def max_bytes() -> int:
    return int(current_app.config.get("PUBLICATION_MAX_UPLOAD_MB", 512)) * 1024 * 1024


class _Measured:
    """Reads through `source`, hashing and counting, and stops past the size limit."""

    def __init__(self, head: bytes, source: BinaryIO, limit: int):
        self.pending, self.source, self.limit = head, source, limit
        self.digest, self.size = hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        if self.pending:
            chunk, self.pending = self.pending, b""
        else:
            chunk = self.source.read(n)
        self.size += len(chunk)
        if self.size > self.limit:
            raise ValidationError(
                f"The file is larger than {self.limit // (1024 * 1024)} MB.", field="file"
            )
        self.digest.update(chunk)
        return chunk


def store_source(tenant, publication_uuid, fileobj: BinaryIO, filename: str) -> StoredSource:
    """Check and stream the upload to `t/<tenant>/p/<publication>/source.<ext>`."""
    head = fileobj.read(HEAD_BYTES)
    file_type = detect_file_type(head, filename)
    ext = extension_of(filename)
    key = keys.source_key(tenant.uuid, publication_uuid, ext)
    measured = _Measured(head, fileobj, max_bytes())
    get_storage().put(key, measured, content_type=CONTENT_TYPES[ext])
    return StoredSource(
        key=key,
        filename=display_name(filename),
        size=measured.size,
        sha256=measured.digest.hexdigest(),
        file_type=file_type,
        content_type=CONTENT_TYPES[ext],
    )


def title_from(filename: str) -> str:
    stem = display_name(filename).rpartition(".")[0] or display_name(filename)
    return stem.replace("_", " ").strip()[:300] or "Untitled"


def upload_publication(
    actor: Actor,
    tenant,
    fileobj: BinaryIO,
    filename: str,
    *,
    language: str,
    title: str | None = None,
    created_by_user_id: int | None = None,
):
    """The upload flow: type check, quota under the tenant lock, storage, then the publication
    and its owned entry. A refusal at any step leaves nothing stored."""
    head = fileobj.read(HEAD_BYTES)
    detect_file_type(head, filename)  # refuse bad input before taking the lock
    fields.clean({"language": language, "title": title or title_from(filename)})
    publications.check_quota(tenant.id)
    publication_uuid = uuid_lib.uuid4()
    source = store_source(tenant, publication_uuid, _Rewound(head, fileobj), filename)
    try:
        return publications.create_publication(
            actor,
            tenant.id,
            title=title or title_from(filename),
            file_type=source.file_type,
            language=language,
            created_by_user_id=created_by_user_id,
            source=source,
            publication_uuid=publication_uuid,
        )
    except BaseException:
        get_storage().delete(source.key)
        raise


class _Rewound:
    """`head` followed by the rest of `source`, for a stream that cannot seek back."""

    def __init__(self, head: bytes, source: BinaryIO):
        self.head, self.source = head, source

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n is None or n < 0 or n >= len(self.head):
                chunk, self.head = self.head, b""
            else:
                chunk, self.head = self.head[:n], self.head[n:]
            return chunk
        return self.source.read(n)
