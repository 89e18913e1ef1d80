"""The evaluation sheet page and its htmx endpoints."""

from flask import Blueprint

bp = Blueprint("sheets", __name__, url_prefix="/sheets")
