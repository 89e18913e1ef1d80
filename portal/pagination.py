"""One way to paginate a select for a list page."""

from flask import request
from sqlalchemy import Select

from portal.extensions import db

PER_PAGE = 30


def paginate(stmt: Select, per_page: int = PER_PAGE):
    """Flask-SQLAlchemy pagination of ``stmt`` for the ``page`` query argument."""
    page = request.args.get("page", 1, type=int)
    return db.paginate(stmt, page=max(page, 1), per_page=per_page, error_out=False)
