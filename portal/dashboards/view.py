"""The dashboards' tables: every figure as a cell with the link to the list behind it, the
charts drawn from the same figures, and the same tables as XLSX.

A :class:`Table` is what the page shows, what the chart is drawn from and what the export
writes, so the three cannot disagree. Links go to the existing lists where those support the
filter exactly (the registry, the batch list, the work queue), otherwise to the dashboard's
own lists (``dashboards.cards``, ``dashboards.sheets``, ``dashboards.waiting``,
``dashboards.at_risk``), built from the same conditions as the figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from flask import current_app, url_for

from portal.applications.review_rules import holder_office
from portal.applications.rules import HOLDERS
from portal.auth.models import User
from portal.batches.rules import BatchStatus
from portal.catalogue.models import Occupation, Region
from portal.dashboards import queries, rules
from portal.dashboards.memo import remember
from portal.dashboards.rules import DashboardFilters
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.registry.rules import NO_CARD, REGISTRY_ROLES
from portal.renewals.rules import RENEWAL_HOLDERS
from portal.workdays import WorkdayCalendar

#: Characters werkzeug leaves unescaped in a query string (``werkzeug.urls._urlencode``).
QUERY_SAFE = "!$'()*,/:;?@"


@dataclass(frozen=True)
class Cell:
    value: object
    href: str | None = None
    cls: str = ""


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    note: str = ""
    chart: object = None
    chart_kind: str = ""
    more: tuple[str, str] | None = None  # (label, href) under the table
    #: Headline figures shown above the table: (label, value, href).
    summary: list = field(default_factory=list)
    #: Rows shown on the page (the export has them all); None = all.
    show: int | None = None
    #: Spans the whole width of the page (a wide chart or many columns).
    wide: bool = False

    def numbers(self) -> list[tuple[int, str]]:
        """Every linked number of the table: (value, href)."""
        return [(c.value, c.href) for row in self.rows for c in row
                if c.href and isinstance(c.value, int)] + [(n, h) for _, n, h in self.summary]


@dataclass
class Dashboard:
    level: str
    filters: DashboardFilters
    title: str
    sections: list[tuple[str, list[Table]]] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((t for _, ts in self.sections for t in ts if t.key == key), None)


def _n(value: int, href: str | None) -> Cell:
    return Cell(int(value), href, "num")


class Links:
    """The URLs behind the figures, for one viewer and one set of filters."""

    def __init__(self, user: User, f: DashboardFilters):
        self.user, self.f = user, f
        self.registry = user.has_role(*REGISTRY_ROLES)
        self._paths: dict[tuple, str] = {}

    def _url(self, endpoint: str, path: dict | None = None, **query) -> str:
        """``url_for(endpoint, **path, **query)``, building the route once per board: a
        province board has ~1,600 links, and ``url_for`` for each cost ~50 ms of its render.
        The query string is encoded as werkzeug does (None dropped, the same safe marks)."""
        key = (endpoint, tuple(sorted((path or {}).items())))
        base = self._paths.get(key)
        if base is None:
            base = self._paths[key] = url_for(endpoint, **(path or {}))
        items = [(k, v) for k, v in query.items() if v is not None]
        return f"{base}?{urlencode(items, safe=QUERY_SAFE)}" if items else base

    def cards(self, *, status: str = "", region: int | None = None,
              occupation: int | None = None, level: str = "", within: int | None = None,
              bucket: int | None = None) -> str:
        f = self.f
        region = region or f.city
        occupation = occupation or f.occupation
        level = level or f.level
        if self.registry and within is None and bucket is None:
            args = {"status": status, "region": region, "occupation": occupation,
                    "level": level}
            return self._url("registry.index", **{k: v for k, v in args.items() if v})
        args = f.args(city=region, occupation=occupation, level=level or None)
        args.pop("year", None)
        extra = {"status": status, "within": within, "bucket": bucket}
        args.update({k: v for k, v in extra.items() if v not in (None, "")})
        return self._url("dashboards.cards", **args)

    def sheets(self, **kw) -> str:
        args = self.f.args()
        args.update({k: v for k, v in kw.items() if v})
        return self._url("dashboards.sheets", **args)

    def waiting(self, kind: str, stage: str, overdue: bool = False) -> str:
        return self._url("dashboards.waiting", {"kind": kind}, stage=stage,
                         **({"overdue": 1} if overdue else {}), **self.f.args())

    def batches(self, status: str) -> str:
        args = {"status": status, "year": self.f.year, "occupation": self.f.occupation}
        return self._url("batches.index", **{k: v for k, v in args.items() if v})

    def at_risk(self, rule: int | None = None) -> str:
        return self._url("dashboards.at_risk", **self.f.args(), **({"rule": rule} if rule else {}))


# --------------------------------------------------------------------------- cards


def _card_tables(user, f, today, calendar, links: Links, *, per_city: bool) -> list[Table]:
    figures = remember(("cards", user.id, f, today),
                       lambda: queries.card_figures(user, f, today, calendar,
                                                    people_without_cards=links.registry))
    statuses = list(queries.STATUSES) + ([NO_CARD] if figures.with_no_card else [])
    tables = []
    t = Table("cards_status", "证卡状态", ["状态", "张数"],
              [[Cell(s), _n(figures.by_status[s], links.cards(status=s))] for s in statuses],
              note="按今天的状态统计；“无证卡”为名册中尚无证卡的人员（选择职业或级别时不计）。")
    t.chart = rules.bar_chart("证卡状态", [(s, figures.by_status[s], links.cards(status=s))
                                         for s in statuses])
    t.chart_kind = "bar"
    tables.append(t)

    if per_city:
        region_names = queries.names(Region, figures.by_region)
        order = [r for r in _region_order() if r in figures.by_region]
        rows, chart_rows = [], []
        for rid in order:
            counts = figures.by_region[rid]
            rows.append([Cell(region_names[rid])]
                        + [_n(counts[s], links.cards(status=s, region=rid)) for s in statuses]
                        + [_n(sum(counts.values()), links.cards(region=rid))])
            chart_rows.append((region_names[rid], counts, links.cards(region=rid)))
        t = Table("cards_city", "各市（州）考评员证卡", ["地区", *statuses, "合计"], rows)
        t.chart = rules.stacked_bar_chart(
            "各市（州）证卡状态", statuses, chart_rows,
            lambda label, s: links.cards(status=s, region=_rid_by_name(region_names, label)),
            width=1040)
        t.chart_kind = "stacked"
        t.wide = True
        tables.append(t)

    rows, chart_rows = [], []
    for level in [f.level] if f.level else rules.CARD_LEVELS:
        counts = figures.by_level.get(level, dict.fromkeys(queries.STATUSES, 0))
        rows.append([Cell(level)] + [_n(counts[s], links.cards(status=s, level=level))
                                     for s in queries.STATUSES]
                    + [_n(sum(counts.values()), links.cards(level=level))])
        chart_rows.append((level, counts, links.cards(level=level)))
    t = Table("cards_level", "按级别", ["级别", *queries.STATUSES, "合计"], rows)
    t.chart = rules.stacked_bar_chart("按级别的证卡状态", list(queries.STATUSES), chart_rows,
                                      lambda label, s: links.cards(status=s, level=label),
                                      width=1040)
    t.chart_kind = "stacked"
    t.wide = True
    tables.append(t)

    occ_names = queries.names(Occupation, figures.by_occupation)
    rows = []
    for oid in sorted(figures.by_occupation, key=lambda o: -sum(figures.by_occupation[o].values())):
        counts = figures.by_occupation[oid]
        rows.append([Cell(occ_names.get(oid, "")), *[_n(counts[s], links.cards(
            status=s, occupation=oid)) for s in queries.STATUSES],
            _n(sum(counts.values()), links.cards(occupation=oid))])
    tables.append(Table("cards_occupation", "按职业（工种）", ["职业（工种）", *queries.STATUSES,
                                                        "合计"], rows, wide=True))

    rows = [[Cell(f"{days} 天内到期"), _n(figures.expiring.get(days, 0) if days != 90 else
                                         figures.by_status["即将到期"],
                                         links.cards(status="即将到期") if days == 90
                                         else links.cards(within=days))]
            for days in rules.EXPIRY_WINDOWS]
    rows += [[Cell(f"待领取，剩余{label}"), _n(n, links.cards(bucket=i))]
             for i, (label, n) in enumerate(figures.collection)]
    t = Table("cards_deadlines", "到期与待领取", ["项目", "张数"], rows,
              note="待领取证卡须在发证后 60 个工作日内领取，逾期作废；剩余工作日按工作日历计算"
                   "（尚未公布的年份按预计）。")
    t.chart = rules.bar_chart("到期与待领取", [(r[0].value, r[1].value, r[1].href) for r in rows],
                              label_width=190)
    t.chart_kind = "bar"
    tables.append(t)
    return tables


def _rid_by_name(names: dict[int, str], label: str) -> int | None:
    return next((k for k, v in names.items() if v == label), None)


def _region_order() -> list[int]:
    from sqlalchemy import select

    from portal.extensions import db

    return list(db.session.scalars(select(Region.id).order_by(Region.sort_order)))


# --------------------------------------------------------------------------- waiting


def _waiting_table(kind, user, f, today, calendar, links: Links) -> Table:
    rows_data = remember((kind, user.id, f, today),
                         lambda: queries.waiting(kind, user, f, today, calendar))
    holders = HOLDERS if kind == "applications" else RENEWAL_HOLDERS
    queue = ("applications.queue" if kind == "applications" else "renewals.queue")
    has_queue = queue in current_app.view_functions
    rows = []
    for w in rows_data:
        oldest = "—" if w.oldest_days is None else (
            f"{'约 ' if w.provisional else ''}{w.oldest_days} 个工作日")
        late_cls = "num overdue" if w.overdue else "num"
        rows.append([
            Cell(w.stage.label), Cell(holders[w.stage].label),
            _n(w.count, links.waiting(kind, w.stage.value)),
            Cell(oldest, None, "num" + (" overdue" if w.threshold is not None and w.oldest_days
                                       is not None and not w.provisional
                                       and w.oldest_days > w.threshold else "")),
            Cell(f"{w.threshold} 个工作日" if w.threshold is not None else "—", None, "num"),
            Cell(w.overdue, links.waiting(kind, w.stage.value, overdue=True), late_cls)
            if w.overdue is not None else Cell("—", None, "num"),
        ])
    title = "资格申报各环节待办" if kind == "applications" else "复核换证各环节待办"
    t = Table(kind, title, ["环节", "办理方", "件数", "最久已等待", "超期标准", "超期件数"], rows,
              note="等待时间按工作日计算（到达当天不计）；超过标准的环节以深色底纹标出。"
                   "审核环节超过 10 个工作日为超期；申请人修改、培训与考核不计超期。")
    if has_queue:
        t.more = ("去办理我的待办", url_for(queue))
    t.chart = rules.bar_chart(title, [(w.stage.label, w.count, links.waiting(kind, w.stage.value))
                                      for w in rows_data], label_width=210, width=600)
    t.chart_kind = "bar"
    return t


# --------------------------------------------------------------------------- sheets


def _sheet_figures(user, f, today: date) -> queries.SheetFigures:
    """The year's sheet figures: the days before today from the memo (they change only when a
    sheet is reopened or imported), today's finalisations counted afresh (an index range)."""
    midnight = queries.utc_midnight(today)
    past = remember(("sheets", user.id, f, today),
                    lambda: queries.sheet_figures(user, f, before=midnight))
    return past.plus(queries.sheet_figures(user, f, since=midnight))


def _sheet_tables(user, f, today, links: Links, *, per_city: bool,
                  per_org: bool) -> list[Table]:
    figures = _sheet_figures(user, f, today)
    grades = list(rules.GRADES)
    total = sum(figures.by_grade.values())
    t = Table("sheets_grade", f"{f.year}年评价表等次", ["等次", "份数"],
              [[Cell(g), _n(figures.by_grade[g], links.sheets(grade=g))] for g in grades]
              + [[Cell("合计"), _n(total, links.sheets())]],
              note="已完成（双方提交）的考评评价记录表，按完成日期计入年份。")
    t.chart = rules.bar_chart("评价表等次", [(g, figures.by_grade[g], links.sheets(grade=g))
                                          for g in grades])
    t.chart_kind = "bar"
    tables = [t]
    months = [(m, figures.by_month[m]) for m in range(1, 13)]
    rows = [[Cell(f"{m}月"), *[_n(c[g], links.sheets(month=m, grade=g)) for g in grades],
             _n(sum(c.values()), links.sheets(month=m))] for m, c in months]
    t = Table("sheets_month", f"{f.year}年每月完成的评价表", ["月份", *grades, "合计"], rows)
    t.chart = rules.line_chart("每月完成的评价表", [(f"{m}月", sum(c.values()),
                                                  links.sheets(month=m)) for m, c in months],
                               width=620)
    t.chart_kind = "line"
    t.wide = True
    tables.append(t)
    if per_city:
        names = queries.names(Region, figures.by_region)
        order = [r for r in _region_order() if r in figures.by_region]
        rows, chart_rows = [], []
        for rid in order:
            c = figures.by_region[rid]
            rows.append([Cell(names[rid]), *[_n(c[g], links.sheets(region=rid, grade=g))
                                              for g in grades],
                         _n(sum(c.values()), links.sheets(region=rid))])
            chart_rows.append((names[rid], c, links.sheets(region=rid)))
        t = Table("sheets_city", "各市（州）评价表等次", ["地区", *grades, "合计"], rows,
                  note="按考评批次所属评价机构的所在地统计。")
        t.chart = rules.stacked_bar_chart("各市（州）评价表等次", grades, chart_rows,
                                          lambda label, g: links.sheets(
                                              region=_rid_by_name(names, label), grade=g),
                                          width=1040)
        t.chart_kind = "stacked"
        t.wide = True
        tables.append(t)
    if per_org:
        names = queries.names(Organisation, figures.by_org)
        order = sorted(figures.by_org, key=lambda o: (-sum(figures.by_org[o].values()),
                                                      names.get(o, "")))
        rows = []
        for oid in order:
            c = figures.by_org[oid]
            share = (c["差"] * 100 / sum(c.values())) if sum(c.values()) else 0
            rows.append([Cell(names.get(oid, "")),
                         *[_n(c[g], links.sheets(organisation=oid, grade=g)) for g in grades],
                         _n(sum(c.values()), links.sheets(organisation=oid)),
                         Cell(f"{share:.1f}%", None, "num")])
        tables.append(Table("sheets_org", "各评价机构评价表等次",
                            ["评价机构", *grades, "合计", "差等次占比"], rows, show=20,
                            wide=True, note="按评价表份数从多到少排列。"))
    return tables


# --------------------------------------------------------------------------- at risk


def _risk_table(user, f, today, links: Links, limit: int = 30) -> Table:
    counts = remember(("risk", user.id, f, today), lambda: queries.risk_counts(user, f, today))
    rows_data = queries.at_risk(user, f, today, counts)
    people = {p.id: p for p in _people([r.person_id for r in rows_data[:limit]])}
    region_names = queries.names(Region, {p.region_id for p in people.values()})
    rows = []
    for r in rows_data[:limit]:
        p = people[r.person_id]
        share = f"{r.poor * 100 / r.sheets:.1f}%" if r.sheets else "—"
        rows.append([Cell(p.name, url_for("registry.show", person_id=p.id)
                          if links.registry else None),
                     Cell(region_names.get(p.region_id, "")), Cell(r.sheets, None, "num"),
                     Cell(r.poor, None, "num"), Cell(share, None, "num"),
                     Cell(r.unjustified, None, "num"),
                     Cell("、".join(x for x, on in (("第1项", r.rule1), ("第2项", r.rule2)) if on),
                          None, "overdue")])
    n1 = sum(1 for r in rows_data if r.rule1)
    n2 = sum(1 for r in rows_data if r.rule2)
    t = Table("at_risk", "可能不得复核换证的考评员（第1、2项）",
              ["姓名", "地区", "近12个月评价表", "其中“差”", "“差”占比", "无正当理由拒绝", "情形"],
              rows, note=f"近12个月（含今天）：“差”等次占已完成评价表 30% 及以上的 {n1} 人，"
                         f"无正当理由拒绝考评安排 3 次及以上的 {n2} 人（川人社职鉴〔2021〕4号 三（五）"
                         "1、2）。与考评员页面的“质量线”同一口径。", wide=True)
    t.summary = [("全部", len(rows_data), links.at_risk()), ("第1项", n1, links.at_risk(1)),
                 ("第2项", n2, links.at_risk(2))]
    return t


def _people(ids):
    from sqlalchemy import select

    from portal.extensions import db

    if not ids:
        return []
    return list(db.session.scalars(select(Person).where(Person.id.in_(ids))))


# --------------------------------------------------------------------------- institution


def _batch_table(user, f, links: Links) -> Table:
    counts = queries.batch_counts(user, f)
    rows = [[Cell(s.label), _n(counts[s.value], links.batches(s.value))] for s in BatchStatus]
    t = Table("batches", f"{f.year}年本机构考评批次", ["状态", "批次数"], rows,
              note="按考评日期计入年份；“进行中”指已有评价表但尚未全部完成。")
    t.chart = rules.bar_chart("考评批次", [(r[0].value, r[1].value, r[1].href) for r in rows])
    t.chart_kind = "bar"
    return t


# --------------------------------------------------------------------------- the dashboard


def header(user: User, f: DashboardFilters) -> Dashboard:
    """The dashboard's level, effective filters and title, without its figures."""
    level = queries.level_of(user)
    f = queries.effective(user, f)
    if level == "province":
        title = "全省数据看板"
    elif level == "city":
        title = f"{user.region.name}数据看板"
    else:
        title = f"{user.organisation.name if user.organisation else ''}数据看板"
    return Dashboard(level, f, title)


def build(user: User, f: DashboardFilters, today: date) -> Dashboard:
    board = header(user, f)
    level, f = board.level, board.filters
    calendar = WorkdayCalendar()
    links = Links(user, f)
    if level in ("province", "city"):
        board.sections = [
            ("考评员与证卡", _card_tables(user, f, today, calendar, links,
                                        per_city=level == "province")),
            ("申报与换证的办理情况", [_waiting_table("applications", user, f, today, calendar,
                                                   links),
                                    _waiting_table("renewals", user, f, today, calendar,
                                                   links)]),
            ("考评评价", _sheet_tables(user, f, today, links, per_city=level == "province",
                                       per_org=True)),
            ("复核换证风险", [_risk_table(user, f, today, links)]),
        ]
    elif level == "institution":
        sections = [("考评批次与评价", [_batch_table(user, f, links),
                                         *_sheet_tables(user, f, today, links, per_city=False,
                                                        per_org=False)])]
        sections.append(("本机构考评员证卡", [t for t in _card_tables(
            user, f, today, calendar, links, per_city=False)
            if t.key in ("cards_status", "cards_deadlines")]))
        if user.has_role("unit"):
            sections.append(("申报与换证的办理情况", [
                _waiting_table("applications", user, f, today, calendar, links),
                _waiting_table("renewals", user, f, today, calendar, links)]))
        board.sections = sections
    return board


def office_name(stage, application, province: str) -> str | None:
    return holder_office(stage, applicant_name=application.person.name,
                         unit_name=application.unit.name, region_name=application.region.name,
                         region_is_province=application.region.is_province,
                         province_name=province)
