"""Accept, store and authorise uploads. Every feature that takes a file calls :func:`store`.

A file is accepted by its *content* (magic bytes, then a full parse with pypdf or Pillow),
never by its name or declared type. Nothing is written before the checks pass; a file written
in a transaction that later rolls back is removed again (see :func:`_cleanup_on_rollback`).
"""

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from portal.audit.operations import record
from portal.extensions import db
from portal.uploads.models import Upload

ALLOWED_LABEL = "PDF、JPG 或 PNG"


class UploadRejected(ValueError):
    """The file was refused; ``str(exc)`` is a Chinese message for the form field."""


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def _parses(data: bytes, mime: str) -> bool:
    """True when the whole file parses as the type its magic bytes claim."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf/Pillow warn on slightly odd but valid files
            if mime == "application/pdf":
                reader = PdfReader(io.BytesIO(data))
                return len(reader.pages) > 0
            with Image.open(io.BytesIO(data)) as img:
                expected = {"image/png": "PNG", "image/jpeg": "JPEG"}[mime]
                if img.format != expected:
                    return False
                img.verify()
            return True
    except Exception:  # noqa: BLE001 - any parser failure means "not a real file of this type"
        return False


def check_content(data: bytes, max_bytes: int) -> str:
    """Return the MIME type of ``data`` or raise :class:`UploadRejected` with the reason."""
    if not data:
        return _reject("文件为空，请重新选择")
    if len(data) > max_bytes:
        return _reject(f"文件超过 {max_bytes // (1024 * 1024)} MB 的大小上限，请压缩后再上传")
    mime = _sniff(data)
    if mime is None or not _parses(data, mime):
        return _reject(f"只接受 {ALLOWED_LABEL} 文件；此文件的内容不是有效的 {ALLOWED_LABEL}")
    return mime


def _reject(message: str) -> str:
    raise UploadRejected(message)


def storage_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def path_for(sha256: str) -> Path:
    """Where the file with this digest lives: uploads/ab/abcdef…"""
    return storage_root() / sha256[:2] / sha256


def _read_limited(file: FileStorage, max_bytes: int) -> bytes:
    data = file.stream.read(max_bytes + 1)
    return data


def store(file: FileStorage, *, actor_id: int | None = None) -> Upload:
    """Check ``file`` and store it; return the new :class:`Upload` row (flushed, audited).

    Raises :class:`UploadRejected` before anything is written when the file is refused.
    """
    max_bytes = current_app.config["UPLOAD_MAX_MB"] * 1024 * 1024
    data = _read_limited(file, max_bytes)
    mime = check_content(data, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
        db.session.info.setdefault("new_upload_files", []).append(target)
    name = os.path.basename((file.filename or "").replace("\\", "/"))[:200] or "未命名文件"
    upload = Upload(
        sha256=digest, size=len(data), mime=mime, original_name=name, uploaded_by_id=actor_id
    )
    db.session.add(upload)
    record("upload.create", upload, after={"name": name, "sha256": digest, "size": len(data)})
    return upload


def attach_in_one_write(model, entity_id: int, attach: Callable[[object], object], *,
                        refused: tuple[type[Exception], ...] = ()) -> str | None:
    """The write transaction of a route that stores a file and attaches it to a record:
    load ``model`` ``entity_id`` afresh under the write lock and call ``attach(record)``
    (which stores through :func:`store` and records the change). Returns None when done —
    the caller commits — or the Chinese refusal (:class:`UploadRejected` or one of
    ``refused``) after a rollback, so nothing is half-written."""
    from portal.dbutil import begin_write

    begin_write()
    try:
        attach(db.session.get(model, entity_id))
    except (UploadRejected, *refused) as exc:
        db.session.rollback()
        return str(exc)
    return None


@event.listens_for(Session, "after_commit")
def _forget_new_files(session: Session) -> None:
    session.info.pop("new_upload_files", None)


@event.listens_for(Session, "after_soft_rollback")
def _cleanup_on_rollback(session: Session, previous_transaction) -> None:
    """Remove files first written in a transaction that rolled back (no row points at them)."""
    for path in session.info.pop("new_upload_files", []):
        path.unlink(missing_ok=True)


# --- who may download a file ---------------------------------------------------------------
ViewerRule = Callable[[object, Upload], bool]
_viewer_rules: list[ViewerRule] = []


def viewer_rule(fn: ViewerRule) -> ViewerRule:
    """Register ``fn(user, upload) -> bool``: a feature that attaches uploads to its records
    says here who may see them (e.g. a person's photo: whoever may see the person)."""
    _viewer_rules.append(fn)
    return fn


def can_view(user, upload: Upload) -> bool:
    """The uploader and the admin always; others when a feature's rule allows."""
    if upload.uploaded_by_id == user.id or user.has_role("admin"):
        return True
    return any(rule(user, upload) for rule in _viewer_rules)
