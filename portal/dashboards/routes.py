"""The dashboards (DESIGN.md workflow 5): the province's, a city centre's and an
institution's quick-look page with its filters (htmx, kept in the URL), the lists behind
its numbers that no other page provides, each table as XLSX, and every user's work queue
("我的待办", counted in the navigation)."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from portal.applications.models import Application
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.batches.models import Assignment, EvaluationBatch
from portal.cards.models import Card
from portal.cards.operations import sweep_if_due
from portal.catalogue.models import Region
from portal.dashboards import queries, rules, view
from portal.dashboards.memo import remember
from portal.dashboards.rules import DashboardFilters
from portal.extensions import db
from portal.htmx import is_htmx, render_page_or_partial
from portal.pagination import paginate
from portal.renewals.models import RenewalApplication, Violation
from portal.sheets.models import EvaluationSheet, SheetColumn
from portal.timeutil import local_today
from portal.workdays import WorkdayCalendar
from portal.xlsx import build_xlsx, xlsx_response

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard")

OFFICERS = (Role.PROVINCE, Role.CITY, Role.UNIT, Role.SITE_LEAD)


def _filters() -> DashboardFilters:
    return queries.effective(current_user, DashboardFilters.from_args(
        request.args, today=local_today()))


def _officer_level() -> str:
    level = queries.level_of(current_user)
    if level not in ("province", "city", "institution"):
        abort(403)
    return level


@bp.get("/")
@login_required
def index():
    today = local_today()
    level = queries.level_of(current_user)
    if level in ("province", "city", "institution"):
        sweep_if_due(today)  # never count an overdue card as 待领取
        f = _filters()
        choices = queries.choices(current_user)
        # The rendered board is reused, like the figures, until the next audited change.
        html = remember(("board", current_user.id, f, today), lambda: render_template(
            "dashboards/_board.html", board=view.build(current_user, f, today), today=today,
            choices=choices))
        if is_htmx() and not request.headers.get("HX-Boosted"):
            return html
        return render_template("dashboards/index.html", board=view.header(current_user, f),
                               # our own autoescaped template output, not user text
                               board_html=Markup(html),  # noqa: S704
                               choices=choices, today=today,
                               years=list(range(today.year, today.year - 6, -1)))
    if level == "personal":
        return render_template("dashboards/personal.html", today=today,
                               mine=queries.personal(current_user),
                               work=my_work_items(current_user, today),
                               work_labels=WORK_LABELS)
    abort(403)


@bp.get("/export/<key>.xlsx")
@roles_required(*OFFICERS)
def export(key: str):
    _officer_level()
    today = local_today()
    board = view.build(current_user, _filters(), today)
    table = board.table(key)
    if table is None:
        abort(404)
    f = board.filters
    scope = _filter_line(f)
    rows = [[c.value for c in row] for row in table.rows]
    rows += [[label, n] for label, n, _ in table.summary]
    data = build_xlsx(table.title, table.headers, rows,
                      header_lines=[f"{board.title}　{scope}",
                                    f"导出时间：{today.year}年{today.month}月{today.day}日　"
                                    f"导出人：{current_user.display_name}"],
                      footer_lines=[table.note] if table.note else ())
    return xlsx_response(data, f"{table.title}-{today.isoformat()}")


def _filter_line(f: DashboardFilters) -> str:
    parts = [f"年份：{f.year}"]
    if f.city:
        parts.append("地区：" + queries.names(Region, [f.city]).get(f.city, ""))
    if f.occupation:
        from portal.catalogue.models import Occupation

        parts.append("职业（工种）：" + queries.names(Occupation, [f.occupation]).get(
            f.occupation, ""))
    if f.level:
        parts.append(f"级别：{f.level}")
    return "　".join(parts)


# --------------------------------------------------------------------------- lists


def _arg_int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.get("/cards")
@roles_required(*OFFICERS)
def cards():
    _officer_level()
    today = local_today()
    sweep_if_due(today)
    f = _filters()
    status = request.args.get("status", "")
    status = status if status in queries.STATUSES else ""
    within, bucket = _arg_int("within"), _arg_int("bucket")
    within = within if within in rules.EXPIRY_WINDOWS else None
    bounds = queries.collection_buckets(today, WorkdayCalendar())
    kw: dict = {"status": status}
    title = f"证卡：{status or '全部'}"
    if within is not None:
        kw = {"within": within}
        title = f"{within} 天内到期的证卡"
    elif bucket is not None and bucket < len(bounds):
        kw = {"bucket": bounds[bucket][1:]}
        title = f"待领取证卡（剩余{bounds[bucket][0]}）"
    page = paginate(queries.list_cards(current_user, f, today, **kw))
    calendar = WorkdayCalendar()
    left = {c.id: c.workdays_left(today, calendar) for c in page.items}
    return render_page_or_partial(
        "dashboards/list.html", "dashboards/_list_cards.html", page=page, title=title,
        kind="cards", left=left, today=today, filter_line=_filter_line(f), args=request.args)


@bp.get("/sheets")
@roles_required(*OFFICERS)
def sheets():
    _officer_level()
    f = _filters()
    grade = request.args.get("grade", "")
    grade = grade if grade in rules.GRADES else ""
    month = _arg_int("month")
    kw = {"grade": grade, "region": _arg_int("region"),
          "organisation": _arg_int("organisation"),
          "month": month if month and 1 <= month <= 12 else None}
    page = paginate(queries.list_sheets(current_user, f, **kw))
    title = f"{f.year}年已完成的评价表" + (f"（{grade}）" if grade else "") + (
        f"，{kw['month']}月" if kw["month"] else "")
    return render_page_or_partial(
        "dashboards/list.html", "dashboards/_list_sheets.html", page=page, title=title,
        kind="sheets", filter_line=_filter_line(f), args=request.args)


@bp.get("/waiting/<kind>")
@roles_required(*OFFICERS)
def waiting(kind: str):
    _officer_level()
    if kind not in ("applications", "renewals"):
        abort(404)
    today, calendar, f = local_today(), WorkdayCalendar(), _filters()
    stages = {s.value: s for s in rules.waiting_stages(kind)}
    stage = stages.get(request.args.get("stage", ""))
    if stage is None:
        abort(404)
    overdue = request.args.get("overdue") == "1"
    page = paginate(queries.list_waiting(kind, current_user, f, today, calendar,
                                         stage=stage.value, overdue=overdue))
    from portal.applications.review_rules import workdays_held
    from portal.timeutil import to_local

    held = {a.id: workdays_held(to_local(a.stage_since).date(), today, calendar)
            for a in page.items}
    threshold = (rules.APPLICATION_OVERDUE if kind == "applications"
                 else rules.RENEWAL_OVERDUE).get(stage)
    noun = "资格申报" if kind == "applications" else "复核换证申请"
    title = f"{noun}：{stage.label}" + ("（已超期）" if overdue else "")
    return render_page_or_partial(
        "dashboards/list.html", "dashboards/_list_waiting.html", page=page, title=title,
        kind=kind, held=held, threshold=threshold, filter_line=_filter_line(f),
        args=request.args, renewal_show="renewals.show" in _views())


@bp.get("/at-risk")
@roles_required(*OFFICERS)
def at_risk():
    _officer_level()
    today, f = local_today(), _filters()
    rule = _arg_int("rule")
    rows = queries.at_risk(current_user, f, today)
    if rule == 1:
        rows = [r for r in rows if r.rule1]
    elif rule == 2:
        rows = [r for r in rows if r.rule2]
    page = _ListPage(rows, request.args.get("page", 1, type=int))
    people = {p.id: p for p in view._people([r.person_id for r in page.items])}
    regions = queries.names(Region, {p.region_id for p in people.values()})
    title = "可能不得复核换证的考评员" + (f"（第{rule}项）" if rule in (1, 2) else "")
    return render_page_or_partial(
        "dashboards/list.html", "dashboards/_list_risk.html", page=page, title=title,
        kind="at_risk", people=people, regions=regions, filter_line=_filter_line(f),
        args=request.args, registry=current_user.has_role("province", "city", "unit"))


class _ListPage:
    """Pagination of a list computed in Python (the at-risk examiners), with the attributes
    the ``pager`` macro reads."""

    per_page = 30

    def __init__(self, rows: list, page: int):
        self.total = len(rows)
        self.pages = max(1, -(-self.total // self.per_page))
        self.page = min(max(page, 1), self.pages)
        start = (self.page - 1) * self.per_page
        self.items = rows[start:start + self.per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1

    def iter_pages(self, **_kw):
        return range(1, self.pages + 1)


# --------------------------------------------------------------------------- my work

#: The kinds of work, as the list shows them: (key, label).
WORK_LABELS = {
    "applications": "资格申报待审核", "renewals": "复核换证待办理",
    "own_applications": "我的申报待提交或修改", "own_renewals": "我的换证申请待提交或修改",
    "answers": "考评安排待答复", "sheets": "评价表待评分", "cards": "证卡待发放",
    "violations": "违规记录待核实", "refusals": "拒绝考评的理由待认定",
}


#: What each kind of work item shows, loaded with the items (no query per row).
_LOAD = {
    "applications": (selectinload(Application.person), selectinload(Application.occupation)),
    "own_applications": (selectinload(Application.person),
                         selectinload(Application.occupation)),
    "renewals": (selectinload(RenewalApplication.person), selectinload(RenewalApplication.card)),
    "own_renewals": (selectinload(RenewalApplication.person),
                     selectinload(RenewalApplication.card)),
    "cards": (selectinload(Card.person),),
    "violations": (selectinload(Violation.person),),
    "refusals": (selectinload(Assignment.person), selectinload(Assignment.batch)),
    "answers": (selectinload(Assignment.batch).selectinload(EvaluationBatch.organisation),),
    "sheets": (selectinload(SheetColumn.sheet).selectinload(EvaluationSheet.batch),
               selectinload(SheetColumn.sheet).selectinload(EvaluationSheet.person)),
}


def my_work_items(user, today, limit: int = 100) -> dict:
    """``{kind: (count, [items])}`` with each item ``(since, text, href)``, oldest first."""
    from flask import url_for

    from portal.timeutil import to_local

    counts = queries.work_counts(user, today)
    out = {}
    for kind, stmt in queries.work_selects(user, today).items():
        rows = list(db.session.scalars(stmt.options(*_LOAD.get(kind, ())).limit(limit)))
        items = []
        for r in rows:
            if kind == "own_renewals":  # the holder's draft or return: their own form
                items.append((to_local(r.stage_since).date(),
                              f"我的复核换证申报 · 证卡 {r.card.number} · {r.stage_enum.label}",
                              url_for("renew.edit", application_id=r.id)))
                continue
            if isinstance(r, Application):
                items.append((to_local(r.stage_since).date(),
                              f"{r.person.name} · {r.occupation.name} {r.level} · "
                              f"{r.stage_enum.label}",
                              url_for("applications.show", application_id=r.id)))
            elif isinstance(r, RenewalApplication):
                href = (url_for("renewals.show", application_id=r.id)
                        if "renewals.show" in _views() else None)
                items.append((to_local(r.stage_since).date(),
                              f"{r.person.name} · 证卡 {r.card.number} · {r.stage_enum.label}",
                              href))
            elif isinstance(r, SheetColumn):
                sheet = r.sheet
                items.append((sheet.batch.first_date,
                              f"{sheet.batch.number} · {sheet.person.name} · {r.label}"
                              f"（已评 {r.marked}/15）",
                              url_for("sheets.show", sheet_id=r.sheet_id)))
            elif isinstance(r, Card):
                items.append((r.issued_on, f"{r.number} · {r.person.name} · 领取截止 "
                              f"{r.collection_deadline:%Y-%m-%d}"
                              f"{'（预计）' if r.deadline_provisional else ''}",
                              url_for("cards.show", card_id=r.id)))
            elif isinstance(r, Violation):
                href = (url_for("violations.show", violation_id=r.id)
                        if "violations.show" in _views() else
                        url_for("registry.show", person_id=r.person_id))
                items.append((to_local(r.created_at).date(),
                              f"{r.person.name} · {r.description[:30]}", href))
            elif isinstance(r, Assignment):
                if kind == "refusals":
                    items.append((r.refusal_day, f"{r.batch.number} · {r.person.name} · "
                                  f"拒绝理由：{r.reason or '（未填写）'}",
                                  url_for("batches.show", batch_id=r.batch_id)))
                else:
                    items.append((to_local(r.assigned_at).date(),
                                  f"{r.batch.number} · {r.batch.first_date:%Y-%m-%d} · "
                                  f"{r.batch.organisation.name}",
                                  url_for("batches.my_assignments")))
        items.sort(key=lambda x: x[0])
        out[kind] = (counts.get(kind, 0), items)
    return out


def _views():
    from flask import current_app

    return current_app.view_functions


@bp.get("/my-work")
@login_required
def my_work():
    today = local_today()
    return render_template("dashboards/my_work.html", today=today,
                           work=my_work_items(current_user, today), labels=WORK_LABELS)


@bp.app_context_processor
def _badge():
    def my_work_count() -> int:
        """The navigation badge: every item waiting for the current user (one statement,
        once per page)."""
        if "my_work_count" not in g:
            g.my_work_count = (queries.work_total(current_user, local_today())
                               if current_user.is_authenticated else 0)
        return g.my_work_count

    return {"my_work_count": my_work_count}

