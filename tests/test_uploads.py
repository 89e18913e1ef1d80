"""The one upload service: real PDF/JPEG/PNG accepted by content, everything else refused with
a message, nothing left behind by a refusal, files served only to those allowed."""

import io
import os
from pathlib import Path

import pytest
from factories import create_person, create_user, login
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from portal.extensions import db
from portal.people.models import Person
from portal.uploads import service
from portal.uploads.models import Upload


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "PNG", size=(60, 80), noise: bool = False) -> bytes:
    if noise:
        img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        img = Image.new("RGB", size, (200, 210, 230))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 2000


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


def upload_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Upload))


@pytest.mark.parametrize(
    "data, mime",
    [(pdf_bytes(), "application/pdf"), (image_bytes("PNG"), "image/png"),
     (image_bytes("JPEG"), "image/jpeg")],
)
def test_service_accepts_real_files_by_content(app, data, mime):
    with app.test_request_context():
        upload = service.store(FileStorage(io.BytesIO(data), filename="材料.bin"))
        db.session.commit()
    assert upload.mime == mime and upload.original_name == "材料.bin"
    path = service.path_for(upload.sha256)
    assert path.read_bytes() == data
    assert path.parent.name == upload.sha256[:2]


@pytest.mark.parametrize(
    "data, name",
    [(ELF, "setup.pdf"), (b"%PDF-1.7\nthis is not really a pdf", "fake.pdf"),
     (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "broken.png"), (b"", "empty.pdf"),
     (b"<html><script>alert(1)</script></html>", "page.png")],
)
def test_service_refuses_anything_else_and_writes_nothing(app, data, name):
    with app.test_request_context(), pytest.raises(service.UploadRejected) as exc:
        service.store(FileStorage(io.BytesIO(data), filename=name))
    assert "PDF、JPG 或 PNG" in str(exc.value) or "文件为空" in str(exc.value)
    db.session.rollback()
    assert stored_files(app) == [] and upload_rows() == 0


def test_a_rolled_back_upload_leaves_no_file(app):
    with app.test_request_context():
        service.store(FileStorage(io.BytesIO(image_bytes()), filename="a.png"))
        db.session.rollback()
    assert stored_files(app) == [] and upload_rows() == 0


def _applicant(client):
    person = create_person("周晓川")
    create_user("shenbao", ["applicant"], person=person)
    login(client, "shenbao")
    return person


def post_photo(client, csrf, data: bytes, name: str):
    """POST the photo form like a browser. The body is built in memory: werkzeug's test client
    would spool a large body to a temporary file that it never closes."""
    fields = {"csrf_token": csrf("/me"), "photo": FileStorage(io.BytesIO(data), name)}
    stream, length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    return client.post("/me", data=stream.getvalue(),
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_applicant_uploads_a_png_photo_and_sees_it(app, client, csrf):
    person = _applicant(client)
    png = image_bytes("PNG")
    response = post_photo(client, csrf, png, "我的照片.png")
    assert response.status_code == 302
    person = db.session.get(Person, person.id)
    upload = db.session.get(Upload, person.photo_upload_id)
    assert upload.original_name == "我的照片.png"
    page = client.get("/me").get_data(as_text=True)
    assert f"/files/{upload.id}" in page

    download = client.get(f"/files/{upload.id}")
    assert download.status_code == 200 and download.data == png
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "image/png"
    download.close()


def test_an_executable_renamed_pdf_is_refused_next_to_the_field(app, client, csrf):
    _applicant(client)
    response = post_photo(client, csrf, ELF, "photo.png")
    assert response.status_code == 422
    assert "只接受 PDF、JPG 或 PNG 文件" in response.get_data(as_text=True)
    assert stored_files(app) == [] and upload_rows() == 0


def test_a_pdf_is_a_valid_upload_but_not_a_photo(app, client, csrf):
    _applicant(client)
    response = post_photo(client, csrf, pdf_bytes(), "scan.pdf")
    assert response.status_code == 422
    assert "照片须为 JPG 或 PNG 图片" in response.get_data(as_text=True)
    assert stored_files(app) == [] and upload_rows() == 0


def test_an_oversized_file_is_refused_with_a_form_error(app, client, csrf):
    _applicant(client)
    big = image_bytes("PNG", size=(700, 700), noise=True)  # ~1.4 MB; the test limit is 1 MB
    assert 1024 * 1024 < len(big) < app.config["MAX_CONTENT_LENGTH"]
    response = post_photo(client, csrf, big, "big.png")
    assert response.status_code == 422
    assert "文件超过 1 MB 的大小上限" in response.get_data(as_text=True)
    assert stored_files(app) == [] and upload_rows() == 0


def test_a_request_over_the_body_limit_gets_413_in_chinese(app, client, csrf):
    _applicant(client)
    huge = b"\x89PNG\r\n\x1a\n" + os.urandom(3 * 1024 * 1024)
    response = post_photo(client, csrf, huge, "huge.png")
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)
    assert stored_files(app) == [] and upload_rows() == 0


def test_files_are_served_only_to_those_allowed(app, client, csrf):
    person = _applicant(client)
    post_photo(client, csrf, image_bytes(), "me.png")
    upload_id = db.session.get(Person, person.id).photo_upload_id

    other_client = app.test_client()
    create_user("other", ["applicant"], person=create_person("李四", seq=2))
    login(other_client, "other")
    assert other_client.get(f"/files/{upload_id}").status_code == 404

    chengdu = app.test_client()
    create_user("cd_officer", ["city"], city="成都市")
    login(chengdu, "cd_officer")
    with chengdu.get(f"/files/{upload_id}") as seen:  # the person lives in Chengdu
        assert seen.status_code == 200

    mianyang = app.test_client()
    create_user("my_officer", ["city"], city="绵阳市")
    login(mianyang, "my_officer")
    assert mianyang.get(f"/files/{upload_id}").status_code == 404

    anonymous = app.test_client()
    assert anonymous.get(f"/files/{upload_id}").status_code == 302
