"""Serving stored files: only to users allowed by :func:`portal.uploads.service.can_view`."""

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required

from portal.extensions import db
from portal.uploads.models import Upload
from portal.uploads.service import can_view, path_for

bp = Blueprint("uploads", __name__, url_prefix="/files")


@bp.get("/<int:upload_id>")
@login_required
def download(upload_id: int):
    upload = db.session.get(Upload, upload_id)
    if upload is None or not can_view(current_user, upload):
        abort(404)
    response = send_file(
        path_for(upload.sha256),
        mimetype=upload.mime,
        as_attachment=True,
        download_name=upload.original_name,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
