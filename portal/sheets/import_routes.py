"""Bulk upload of sheet records for offline sites: template download, preview, import."""

from flask import Blueprint

bp = Blueprint("sheet_imports", __name__, url_prefix="/sheets/batch")
