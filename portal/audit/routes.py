"""The admin's view of the audit trail, filtered with htmx and kept in the URL."""

from flask import Blueprint, request

from portal.audit.forms import AuditFilterForm
from portal.audit.operations import ACTION_LABELS, ENTITY_LABELS
from portal.audit.queries import search_events
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.htmx import render_page_or_partial
from portal.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
@roles_required(Role.ADMIN)
def index():
    form = AuditFilterForm(request.args, meta={"csrf": False})
    valid = form.validate()
    criteria = {k: v for k, v in form.data.items() if v} if valid else {}
    page = paginate(search_events(**criteria), per_page=50)
    return render_page_or_partial(
        "audit/index.html", "audit/_table.html", form=form, page=page,
        action_labels=ACTION_LABELS, entity_labels=ENTITY_LABELS,
    )
