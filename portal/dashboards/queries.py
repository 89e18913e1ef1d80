"""Scoped aggregate reads of the dashboards (DESIGN.md workflow 5) and the lists behind
their numbers.

Every figure is one grouped query over rows the viewer may see (:func:`portal.scope.visible`),
with the same condition builders as the list it links to, so a number and the length of its
list cannot drift apart: the registry's own status conditions and ``visible(Person)`` for
card figures, :func:`portal.batches.queries.search_batches` for batches,
:func:`portal.applications.review.queue_condition` for the qualification work queue, and the
conditions below (``*_conditions``) for the dashboard's own lists (``list_*``).

Statuses come from :func:`portal.cards.queries.status_expr` (the SQL twin of
``card_status``), the renewal rules 1–2 from :func:`portal.renewals.rules.poor_share_disqualifies`
and the term window of :func:`portal.renewals.rules.term_window` (the definitions
:func:`portal.registry.rules.quality_line` uses), working days from :mod:`portal.workdays`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    extract,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import contains_eager

from portal.applications.models import Application, TrainingPlan
from portal.applications.review import queue_condition
from portal.applications.review_rules import workdays_held
from portal.applications.rules import Stage
from portal.auth.models import User
from portal.auth.roles import Role
from portal.batches.models import Assignment, EvaluationBatch
from portal.batches.rules import BatchStatus, batch_status
from portal.cards.models import Card
from portal.cards.queries import status_expr
from portal.cards.rules import CardStatus
from portal.catalogue.models import Occupation, Region
from portal.dashboards import rules
from portal.dashboards.rules import DashboardFilters
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.registry.queries import _status_condition, row_status
from portal.registry.rules import NO_CARD
from portal.renewals.models import RenewalApplication, RenewalPlan, Violation
from portal.renewals.rules import RenewalStage, poor_share_disqualifies, term_window
from portal.scope import visible
from portal.sheets.models import EvaluationSheet, SheetColumn
from portal.timeutil import LOCAL_TZ, to_local
from portal.workdays import WorkdayCalendar

STATUSES: tuple[str, ...] = tuple(s.value for s in CardStatus)


# --------------------------------------------------------------------------- who sees what


def level_of(user: User) -> str | None:
    """Which dashboard ``user`` gets: ``province``, ``city``, ``institution`` (a unit clerk
    or a site lead of an organisation), ``personal`` (an examiner or applicant) or None."""
    if user.has_role(Role.PROVINCE):
        return "province"
    if user.has_role(Role.CITY) and user.region_id:
        return "city"
    if user.has_role(Role.UNIT, Role.SITE_LEAD) and user.organisation_id:
        return "institution"
    if user.person_id:
        return "personal"
    return None


def effective(user: User, f: DashboardFilters) -> DashboardFilters:
    """The filters that apply for ``user``: only the province chooses a city."""
    if level_of(user) != "province" and f.city is not None:
        return DashboardFilters(f.year, None, f.occupation, f.level)
    return f


def utc_midnight(day: date) -> datetime:
    """Local midnight at the start of ``day`` as the naive UTC datetime the database stores."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return utc_midnight(date(year, 1, 1)), utc_midnight(date(year + 1, 1, 1))


# --------------------------------------------------------------------------- cards


def card_filter_conditions(f: DashboardFilters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.occupation:
        conds.append(Card.occupation_id == f.occupation)
    if f.level:
        conds.append(Card.level == f.level)
    return conds


def person_filter_conditions(user: User, f: DashboardFilters) -> list[ColumnElement[bool]]:
    conds = [visible(Person, user)]
    if f.city:
        conds.append(Person.region_id == f.city)
    return conds


@dataclass
class CardFigures:
    """Card counts by status, overall and per city, level and occupation (``NO_CARD`` counts
    the people without any card, only when no card filter applies: the registry lists them
    then), plus the 30/90-day expiry counts and uncollected cards by working days left."""

    by_status: dict[str, int]
    by_region: dict[int, dict[str, int]]
    by_level: dict[str, dict[str, int]]
    by_occupation: dict[int, dict[str, int]]
    expiring: dict[int, int]
    collection: list[tuple[str, int]]
    with_no_card: bool


def card_figures(user: User, f: DashboardFilters, today: date, calendar: WorkdayCalendar,
                 *, people_without_cards: bool = True) -> CardFigures:
    """``people_without_cards``: also count the people without a card (for viewers whose
    link goes to the registry, which lists them)."""
    card_conds = card_filter_conditions(f)
    person_conds = person_filter_conditions(user, f)
    with_no_card = people_without_cards and not card_conds
    status = (row_status(today) if with_no_card else status_expr(today)).label("status")
    stmt = select(Person.region_id, Card.occupation_id, Card.level, status, func.count())
    if with_no_card:
        stmt = stmt.select_from(Person).outerjoin(Card, Card.person_id == Person.id)
    else:
        stmt = stmt.select_from(Card).join(Person, Person.id == Card.person_id)
    stmt = stmt.where(*person_conds, *card_conds).group_by(
        Person.region_id, Card.occupation_id, Card.level, status)
    keys = [*STATUSES, NO_CARD] if with_no_card else list(STATUSES)
    by_status = dict.fromkeys(keys, 0)
    by_region: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    by_level: dict[str, dict[str, int]] = {lv: dict.fromkeys(STATUSES, 0)
                                           for lv in rules.CARD_LEVELS}
    by_occupation: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for region_id, occupation_id, level, s, n in db.session.execute(stmt):
        by_status[s] += n
        by_region[region_id][s] += n
        if s != NO_CARD:
            by_level.setdefault(level, dict.fromkeys(STATUSES, 0))[s] += n
            by_occupation[occupation_id][s] += n
    expiring = {days: count_cards(user, f, today, within=days) for days in rules.EXPIRY_WINDOWS}
    collection = collection_counts(user, f, today, calendar)
    return CardFigures(by_status, dict(by_region), by_level, dict(by_occupation), expiring,
                       collection, with_no_card)


def card_list_conditions(user: User, f: DashboardFilters, today: date, *, status: str = "",
                         within: int | None = None, bucket: tuple[date, date | None] | None
                         = None) -> list[ColumnElement[bool]]:
    """Cards (joined with their holder) of the dashboard's card lists: a status; or
    即将到期 within ``within`` days; or 待领取 with the collection deadline in ``bucket``."""
    conds = [*person_filter_conditions(user, f), *card_filter_conditions(f)]
    if within is not None:
        conds += _status_condition(CardStatus.EXPIRING.value, today)
        conds.append(Card.valid_until <= today + timedelta(days=within))
    elif bucket is not None:
        conds += _status_condition(CardStatus.PENDING_COLLECTION.value, today)
        conds.append(Card.collection_deadline >= bucket[0])
        if bucket[1] is not None:
            conds.append(Card.collection_deadline < bucket[1])
    elif status:
        conds += _status_condition(status, today)
    return conds


def count_cards(user, f, today, **kw) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Card).join(Person, Person.id == Card.person_id)
        .where(*card_list_conditions(user, f, today, **kw)))


def collection_buckets(today: date, calendar: WorkdayCalendar):
    return rules.collection_bucket_bounds(
        today, lambda d: calendar.provisional_add_workdays(d, 1))


def collection_counts(user, f, today, calendar) -> list[tuple[str, int]]:
    """Uncollected (待领取) cards per bucket of working days left, in one grouped query."""
    bounds = collection_buckets(today, calendar)
    whens = []
    for i, (_label, start, end) in enumerate(bounds):
        cond = Card.collection_deadline >= start
        if end is not None:
            cond = and_(cond, Card.collection_deadline < end)
        whens.append((cond, literal(i)))
    bucket = case(*whens, else_=literal(-1)).label("bucket")
    rows = dict(db.session.execute(
        select(bucket, func.count()).select_from(Card).join(Person, Person.id == Card.person_id)
        .where(*card_list_conditions(user, f, today,
                                     status=CardStatus.PENDING_COLLECTION.value))
        .group_by(bucket)).all())
    return [(label, rows.get(i, 0)) for i, (label, _s, _e) in enumerate(bounds)]


def list_cards(user, f, today, **kw) -> Select:
    return (select(Card).join(Person, Person.id == Card.person_id)
            .options(contains_eager(Card.person))
            .where(*card_list_conditions(user, f, today, **kw))
            .order_by(Card.valid_until if kw.get("within") else Card.collection_deadline
                      if kw.get("bucket") else Person.name, Card.id))


# --------------------------------------------------------------------------- waiting work


@dataclass(frozen=True)
class Waiting:
    """One stage of the waiting table: how many wait, since when the oldest, how many
    working days that is, and how many are overdue (None: the stage has no threshold)."""

    stage: object
    count: int
    oldest_since: datetime | None
    oldest_days: int | None
    provisional: bool
    threshold: int | None
    overdue: int | None


def _kind(kind: str):
    if kind == "applications":
        return Application, TrainingPlan, rules.APPLICATION_OVERDUE
    return RenewalApplication, RenewalPlan, rules.RENEWAL_OVERDUE


def waiting_conditions(kind: str, user: User, f: DashboardFilters
                       ) -> list[ColumnElement[bool]]:
    """Applications (or renewals) the viewer may see, filtered by plan year, city,
    occupation and level (a renewal's occupation and level are its card's)."""
    model, plan, _ = _kind(kind)
    conds = [visible(model, user),
             model.plan_id.in_(select(plan.id).where(plan.year == f.year))]
    if f.city:
        conds.append(model.region_id == f.city)
    if kind == "applications":
        if f.occupation:
            conds.append(Application.occupation_id == f.occupation)
        if f.level:
            conds.append(Application.level == f.level)
    elif f.occupation or f.level:
        conds.append(RenewalApplication.card_id.in_(
            select(Card.id).where(*card_filter_conditions(f))))
    return conds


def overdue_boundaries(kind: str, today: date, calendar: WorkdayCalendar
                       ) -> dict[object, datetime | None]:
    """For each stage with a threshold: items that arrived before this UTC instant are
    overdue (None: not computable, the calendar is not maintained)."""
    _, _, thresholds = _kind(kind)
    out: dict[object, datetime | None] = {}
    cache: dict[int, datetime | None] = {}
    for stage, threshold in thresholds.items():
        if threshold is None:
            continue
        if threshold not in cache:
            cut = rules.overdue_cutoff(today, threshold, calendar.is_workday,
                                       calendar.is_year_maintained)
            cache[threshold] = utc_midnight(cut + timedelta(days=1)) if cut else None
        out[stage] = cache[threshold]
    return out


def waiting(kind: str, user: User, f: DashboardFilters, today: date,
            calendar: WorkdayCalendar) -> list[Waiting]:
    model, _, thresholds = _kind(kind)
    stages = rules.waiting_stages(kind)
    bounds = overdue_boundaries(kind, today, calendar)
    whens = [(and_(model.stage == s.value, model.stage_since < b), 1)
             for s, b in bounds.items() if b is not None]
    overdue = func.sum(case(*whens, else_=0)) if whens else literal(0)
    rows = {stage: (n, oldest, late) for stage, n, oldest, late in db.session.execute(
        select(model.stage, func.count(), func.min(model.stage_since), overdue)
        .where(*waiting_conditions(kind, user, f), model.stage.in_([s.value for s in stages]))
        .group_by(model.stage))}
    out = []
    for stage in stages:
        n, oldest, late = rows.get(stage.value, (0, None, 0))
        threshold = thresholds.get(stage)
        held = workdays_held(to_local(oldest).date(), today, calendar) if oldest else None
        out.append(Waiting(stage, n, oldest, held.days if held else None,
                           bool(held and held.provisional), threshold,
                           (int(late or 0) if bounds.get(stage) is not None else None)
                           if threshold is not None else None))
    return out


def list_waiting(kind: str, user, f, today, calendar, *, stage: str,
                 overdue: bool = False) -> Select:
    model, _, _ = _kind(kind)
    conds = [*waiting_conditions(kind, user, f), model.stage == stage]
    if overdue:
        boundary = overdue_boundaries(kind, today, calendar).get(
            (Stage if kind == "applications" else RenewalStage)(stage))
        conds.append(model.stage_since < boundary if boundary else false())
    return select(model).where(*conds).order_by(model.stage_since, model.id)


# --------------------------------------------------------------------------- sheets


def _month():
    """The local month (1–12) of a sheet's finalisation (stored in UTC)."""
    if db.engine.dialect.name == "sqlite":
        return func.cast(func.strftime("%m", EvaluationSheet.finalised_at, "+8 hours"),
                         db.Integer)
    return extract("month", EvaluationSheet.finalised_at + timedelta(hours=8))


def sheet_conditions(user: User, f: DashboardFilters, *, grade: str = "",
                     region: int | None = None, organisation: int | None = None,
                     month: int | None = None, since: datetime | None = None,
                     before: datetime | None = None) -> list[ColumnElement[bool]]:
    """Finalised sheets of the year (local time) the viewer may see, by the batch's
    institution's city, the batch's occupation, and optionally one grade, city, institution
    or month, and only those finalised ``since`` / ``before`` a moment (UTC). ``grade IN (…)``
    leads so the index ``(grade, finalised_at, …)`` serves it; the finalisation range is one
    pair of bounds (SQLite ranges an index on one lower and one upper bound only)."""
    start, end = year_bounds(f.year)
    start, end = max(start, since or start), min(end, before or end)
    conds = [EvaluationSheet.grade.in_([grade] if grade else list(rules.GRADES)),
             EvaluationSheet.finalised_at >= start, EvaluationSheet.finalised_at < end]
    if level_of(user) != "province":
        conds.append(visible(EvaluationSheet, user))
    batch_conds = []
    city = region or f.city
    if city:
        batch_conds.append(EvaluationBatch.organisation_id.in_(
            select(Organisation.id).where(Organisation.region_id == city)))
    if organisation:
        batch_conds.append(EvaluationBatch.organisation_id == organisation)
    if f.occupation:
        batch_conds.append(EvaluationBatch.occupation_id == f.occupation)
    if batch_conds:
        conds.append(EvaluationSheet.batch_id.in_(select(EvaluationBatch.id).where(*batch_conds)))
    if month:
        conds.append(_month() == month)
    return conds


@dataclass
class SheetFigures:
    by_grade: dict[str, int]
    by_region: dict[int, dict[str, int]]
    by_org: dict[int, dict[str, int]]
    by_month: dict[int, dict[str, int]]

    def plus(self, other: SheetFigures) -> SheetFigures:
        """The figures of both sets of sheets (disjoint: before and since a moment)."""
        def add(a: dict, b: dict) -> dict:
            out = {k: dict(v) for k, v in a.items()}
            for k, grades in b.items():
                row = out.setdefault(k, dict.fromkeys(rules.GRADES, 0))
                for g, n in grades.items():
                    row[g] += n
            return out

        by_grade = {g: self.by_grade[g] + other.by_grade[g] for g in rules.GRADES}
        return SheetFigures(by_grade, add(self.by_region, other.by_region),
                            add(self.by_org, other.by_org), add(self.by_month, other.by_month))


def sheet_figures(user: User, f: DashboardFilters, *, before: datetime | None = None,
                  since: datetime | None = None) -> SheetFigures:
    """This year's finalised sheets by grade, per city and institution (of the batch) and
    per month, from one grouped query (per batch) and the batches' institutions; only those
    finalised ``before`` or ``since`` a moment (UTC) when given (the dashboard keeps the days
    before today and counts today's afresh: :func:`SheetFigures.plus`)."""
    month = _month().label("month")
    conds = sheet_conditions(user, f, since=since, before=before)
    rows = db.session.execute(
        select(EvaluationSheet.batch_id, EvaluationSheet.grade, month, func.count())
        .where(*conds)
        .group_by(EvaluationSheet.batch_id, EvaluationSheet.grade, month)).all()
    batch_ids = {r[0] for r in rows}
    org_of: dict[int, int] = {}
    if batch_ids:
        org_of = dict(db.session.execute(
            select(EvaluationBatch.id, EvaluationBatch.organisation_id)
            .where(EvaluationBatch.id.in_(batch_ids))).all())
    region_of = dict(db.session.execute(
        select(Organisation.id, Organisation.region_id)
        .where(Organisation.id.in_(set(org_of.values())))).all()) if org_of else {}
    empty = dict.fromkeys(rules.GRADES, 0)
    figures = SheetFigures(dict(empty), defaultdict(lambda: dict(empty)),
                           defaultdict(lambda: dict(empty)), {m: dict(empty)
                                                              for m in range(1, 13)})
    for batch_id, grade, m, n in rows:
        org = org_of[batch_id]
        figures.by_grade[grade] += n
        figures.by_region[region_of[org]][grade] += n
        figures.by_org[org][grade] += n
        figures.by_month[int(m)][grade] += n
    return figures


def list_sheets(user, f, **kw) -> Select:
    return (select(EvaluationSheet).where(*sheet_conditions(user, f, **kw))
            .order_by(EvaluationSheet.finalised_at.desc(), EvaluationSheet.id.desc()))


# --------------------------------------------------------------------------- at risk


@dataclass(frozen=True)
class AtRisk:
    """An examiner meeting renewal rule 1 (差 ≥ 30 % of the finalised sheets) or rule 2
    (≥ 3 unjustified refusals) over the 12 months up to today (notice §三(五))."""

    person_id: int
    sheets: int
    poor: int
    unjustified: int

    @cached_property
    def rule1(self) -> bool:
        return poor_share_disqualifies(self.poor, self.sheets)

    @cached_property
    def rule2(self) -> bool:
        return self.unjustified >= 3

    @property
    def flagged(self) -> bool:
        return self.rule1 or self.rule2


@dataclass(frozen=True)
class RiskCounts:
    """Renewal rules 1–2 counted per examiner: 差 sheets and all sheets (of the examiners with a
    差 sheet) finalised in the term window before ``before``, and unjustified refusals in the
    whole window."""

    before: datetime
    poor: dict[int, int]
    totals: dict[int, int]
    refusals: dict[int, int]
    #: The examiners these counts alone flag (today's sheets may add or remove some).
    flagged: dict[int, AtRisk]


def _risk_people(user: User, f: DashboardFilters):
    """The examiners the viewer's at-risk figures cover (None: all of them)."""
    if level_of(user) != "province" or f.city:
        return select(Person.id).where(*person_filter_conditions(user, f))
    return None


def risk_counts(user: User, f: DashboardFilters, today: date) -> RiskCounts:
    """The counts of :func:`at_risk` up to local midnight starting ``today``: they change only
    when a sheet is reopened or imported or a refusal judged (the dashboard memo keeps them
    for the day); today's sheets are added by :func:`at_risk`."""
    start, end = term_window(today)
    lo, hi = utc_midnight(start), utc_midnight(end + timedelta(days=1))
    before = min(hi, utc_midnight(today))
    people = _risk_people(user, f)
    in_window = [EvaluationSheet.finalised_at >= lo, EvaluationSheet.finalised_at < before]
    poor_stmt = (select(EvaluationSheet.person_id, func.count())
                 .where(EvaluationSheet.grade == "差", *in_window))
    if people is not None:
        poor_stmt = poor_stmt.where(EvaluationSheet.person_id.in_(people))
    poor = dict(db.session.execute(poor_stmt.group_by(EvaluationSheet.person_id)).all())
    totals: dict[int, int] = {}
    if poor:
        totals = dict(db.session.execute(
            select(EvaluationSheet.person_id, func.count())
            .where(EvaluationSheet.person_id.in_(
                poor_stmt.with_only_columns(EvaluationSheet.person_id).scalar_subquery()),
                *in_window)
            .group_by(EvaluationSheet.person_id)).all())
    day = func.coalesce(Assignment.answered_at, Assignment.assigned_at)
    refusal_stmt = (select(Assignment.person_id, func.count())
                    .where(Assignment.answer == "refused", Assignment.reason_justified.is_(False),
                           day >= lo, day < hi))
    if people is not None:
        refusal_stmt = refusal_stmt.where(Assignment.person_id.in_(people))
    refusals = dict(db.session.execute(
        refusal_stmt.group_by(Assignment.person_id).having(func.count() >= 3)).all())
    flagged = {}
    for pid in set(poor) | set(refusals):
        row = AtRisk(pid, totals.get(pid, 0), poor.get(pid, 0), refusals.get(pid, 0))
        if row.flagged:
            flagged[pid] = row
    return RiskCounts(before, poor, totals, refusals, flagged)


def at_risk(user: User, f: DashboardFilters, today: date,
            counts: RiskCounts | None = None) -> list[AtRisk]:
    """Examiners the viewer may see who meet rule 1 or 2 today, as
    :func:`portal.registry.rules.quality_line` computes them for one examiner: sheets
    finalised, and refusals judged unjustified (dated as ``Assignment.refusal_day``), within
    :func:`portal.renewals.rules.term_window` of today. Filtered by the examiner's city.

    ``counts`` (:func:`risk_counts`, computed if not given) holds the days before today;
    today's sheets are read here (an index range of today's finalisations)."""
    counts = counts or risk_counts(user, f, today)
    _start, end = term_window(today)
    hi = utc_midnight(end + timedelta(days=1))
    flagged = dict(counts.flagged)
    if counts.before < hi:
        people = _risk_people(user, f)
        stmt = (select(EvaluationSheet.person_id, func.count(),
                       func.count(case((EvaluationSheet.grade == "差", 1))))
                .where(EvaluationSheet.grade.in_(list(rules.GRADES)),
                       EvaluationSheet.finalised_at >= counts.before,
                       EvaluationSheet.finalised_at < hi))
        if people is not None:
            stmt = stmt.where(EvaluationSheet.person_id.in_(people))
        today_rows = db.session.execute(stmt.group_by(EvaluationSheet.person_id)).all()
        new_poor = [pid for pid, _n, p in today_rows if p and pid not in counts.totals]
        earlier: dict[int, int] = {}
        if new_poor:  # a first 差 today: the examiner's earlier sheets count too
            start = utc_midnight(term_window(today)[0])
            earlier = dict(db.session.execute(
                select(EvaluationSheet.person_id, func.count())
                .where(EvaluationSheet.person_id.in_(new_poor),
                       EvaluationSheet.finalised_at >= start,
                       EvaluationSheet.finalised_at < counts.before)
                .group_by(EvaluationSheet.person_id)).all())
        # Only the examiners with a sheet today can change: the others keep their flag.
        for pid, n, p in today_rows:
            poor = counts.poor.get(pid, 0) + p
            if not poor:
                continue
            total = counts.totals.get(pid, earlier.get(pid, 0)) + n
            row = AtRisk(pid, total, poor, counts.refusals.get(pid, 0))
            if row.flagged:
                flagged[pid] = row
            else:
                flagged.pop(pid, None)
    return sorted(flagged.values(),
                  key=lambda r: (-r.rule1 - r.rule2, -r.poor, -r.unjustified, r.person_id))


# --------------------------------------------------------------------------- institution


def batch_conditions(user: User, f: DashboardFilters) -> list[ColumnElement[bool]]:
    """The batch list's conditions (:func:`search_batches`): visible, exam year, occupation."""
    conds = [visible(EvaluationBatch, user),
             EvaluationBatch.first_date >= date(f.year, 1, 1),
             EvaluationBatch.first_date < date(f.year + 1, 1, 1)]
    if f.occupation:
        conds.append(EvaluationBatch.occupation_id == f.occupation)
    return conds


def batch_counts(user: User, f: DashboardFilters) -> dict[str, int]:
    """The viewer's batches of the year by status (not started, sheets in progress, done):
    the counts of :func:`portal.batches.queries._counts` per batch, for the viewer's batches
    only, and :func:`portal.batches.rules.batch_status` (the Python twin of the list's SQL
    status), so each figure equals the batch list filtered by that status."""
    rows = db.session.execute(
        select(EvaluationBatch.id,
               func.count(case((Assignment.answer == "accepted", 1))),
               func.count(EvaluationSheet.id), func.count(EvaluationSheet.finalised_at))
        .select_from(EvaluationBatch)
        .outerjoin(Assignment, Assignment.batch_id == EvaluationBatch.id)
        .outerjoin(EvaluationSheet, EvaluationSheet.assignment_id == Assignment.id)
        .where(*batch_conditions(user, f)).group_by(EvaluationBatch.id)).all()
    out = {s.value: 0 for s in BatchStatus}
    for _id, accepted, sheets, final in rows:
        out[batch_status(accepted=accepted, sheets=sheets, final=final).value] += 1
    return out


# --------------------------------------------------------------------------- personal


@dataclass
class Personal:
    cards: list
    applications: list
    renewals: list
    assignments: list


def personal(user: User) -> Personal:
    pid = user.person_id
    cards = list(db.session.scalars(select(Card).where(Card.person_id == pid)
                                    .order_by(Card.issued_on.desc())))
    apps = list(db.session.scalars(select(Application).where(Application.person_id == pid)
                                   .order_by(Application.created_at.desc())))
    renewals = list(db.session.scalars(
        select(RenewalApplication).where(RenewalApplication.person_id == pid)
        .order_by(RenewalApplication.created_at.desc())))
    assignments = list(db.session.scalars(
        select(Assignment).join(EvaluationBatch, EvaluationBatch.id == Assignment.batch_id)
        .where(Assignment.person_id == pid, Assignment.answer == "pending")
        .order_by(EvaluationBatch.first_date)))
    return Personal(cards, apps, renewals, assignments)


# --------------------------------------------------------------------------- my work


def _org_is_direct(user: User) -> ColumnElement[bool]:
    return select(Organisation.id).where(Organisation.id == user.organisation_id,
                                         Organisation.provincial_direct).exists()


def _province_regions():
    return select(Region.id).where(Region.is_province)


def renewal_queue_condition(user: User) -> ColumnElement[bool]:
    """Renewal applications waiting for ``user``'s action as an office, the renewal twin of
    :func:`portal.applications.review.queue_condition` (``RENEWAL_HOLDERS`` and
    ``RENEWAL_TRANSITIONS``: the unit gives its opinion, the initial reviewer — the city
    centre, or the provincial-direct institution for 四川省 — reviews and sends, the
    province re-reviews)."""
    initial = RenewalApplication.stage.in_([RenewalStage.INITIAL_REVIEW.value,
                                            RenewalStage.INITIAL_APPROVED.value])
    conds = []
    if user.has_role(Role.UNIT) and user.organisation_id:
        conds.append(and_(RenewalApplication.unit_id == user.organisation_id,
                          RenewalApplication.stage == RenewalStage.UNIT_REVIEW.value))
        conds.append(and_(RenewalApplication.unit_id == user.organisation_id,
                          RenewalApplication.region_id.in_(_province_regions()),
                          _org_is_direct(user), initial))
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(and_(RenewalApplication.region_id == user.region_id,
                          RenewalApplication.region_id.not_in(_province_regions()), initial))
    if user.has_role(Role.PROVINCE):
        conds.append(RenewalApplication.stage == RenewalStage.PROVINCE_REVIEW.value)
    return or_(*conds) if conds else false()


_OWN_APPLICATION_STAGES = (Stage.DRAFT.value, Stage.RETURNED_BY_UNIT.value,
                           Stage.RETURNED_BY_REVIEWER.value)
_OWN_RENEWAL_STAGES = (RenewalStage.DRAFT.value, RenewalStage.RETURNED_BY_UNIT.value,
                       RenewalStage.RETURNED_BY_REVIEWER.value)


def application_queue_condition(user: User) -> ColumnElement[bool]:
    """:func:`queue_condition` without loading the user's organisation or the province
    region (subqueries instead), for the navigation count; the same rows."""
    initial = Application.stage.in_([Stage.INITIAL_REVIEW.value,
                                     Stage.INITIAL_APPROVED.value])
    conds = []
    if user.has_role(Role.UNIT) and user.organisation_id:
        conds.append(and_(Application.unit_id == user.organisation_id,
                          Application.stage == Stage.UNIT_REVIEW.value))
        conds.append(and_(Application.unit_id == user.organisation_id,
                          Application.region_id.in_(_province_regions()),
                          _org_is_direct(user), initial))
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(and_(Application.region_id == user.region_id,
                          Application.region_id.not_in(_province_regions()), initial))
    if user.has_role(Role.PROVINCE):
        conds.append(Application.stage == Stage.PROVINCE_REVIEW.value)
    return or_(*conds) if conds else false()


def work_selects(user: User, today: date) -> dict[str, Select]:
    """Each kind of item waiting for ``user``'s action, as a select of the items, oldest
    first. Kinds: ``applications`` (the work queue, :func:`queue_condition`), ``own
    applications`` and ``own renewals`` (held by the applicant: a draft or a return),
    ``renewals`` (:func:`renewal_queue_condition`), ``sheets`` (columns to rate),
    ``cards`` (a city centre's cards to hand out), ``violations`` (reported, to confirm or
    dismiss: the examiner's city centre, the province), ``refusals`` (reasons the
    institution must judge), ``answers`` (assignments the examiner must answer)."""
    out: dict[str, Select] = {}
    if user.has_role(Role.UNIT, Role.CITY, Role.PROVINCE):
        out["applications"] = (select(Application).where(visible(Application, user),
                                                         queue_condition(user))
                               .order_by(Application.stage_since, Application.id))
        out["renewals"] = (select(RenewalApplication)
                           .where(visible(RenewalApplication, user),
                                  renewal_queue_condition(user))
                           .order_by(RenewalApplication.stage_since, RenewalApplication.id))
    if user.person_id:
        out["own_applications"] = (
            select(Application).where(Application.person_id == user.person_id,
                                      Application.stage.in_(_OWN_APPLICATION_STAGES))
            .order_by(Application.stage_since, Application.id))
        out["own_renewals"] = (
            select(RenewalApplication).where(RenewalApplication.person_id == user.person_id,
                                             RenewalApplication.stage.in_(_OWN_RENEWAL_STAGES))
            .order_by(RenewalApplication.stage_since, RenewalApplication.id))
        out["answers"] = (
            select(Assignment).join(EvaluationBatch, EvaluationBatch.id == Assignment.batch_id)
            .where(Assignment.person_id == user.person_id, Assignment.answer == "pending",
                   EvaluationBatch.last_date >= today)
            .order_by(Assignment.assigned_at, Assignment.id))
    out["sheets"] = (select(SheetColumn).where(SheetColumn.rater_id == user.id,
                                               SheetColumn.submitted_at.is_(None))
                     .order_by(SheetColumn.sheet_id, SheetColumn.id))
    if user.has_role(Role.CITY) and user.region_id:
        out["cards"] = (select(Card).join(Person, Person.id == Card.person_id)
                        .where(_likely(visible(Person, user)),
                               *_status_condition(CardStatus.PENDING_COLLECTION.value, today))
                        .order_by(Card.collection_deadline, Card.id))
    if user.has_role(Role.PROVINCE):
        out["violations"] = (select(Violation).where(Violation.status == "reported")
                             .order_by(Violation.created_at, Violation.id))
    elif user.has_role(Role.CITY) and user.region_id:
        out["violations"] = (select(Violation).where(
            Violation.status == "reported",
            Violation.person_id.in_(select(Person.id).where(Person.region_id == user.region_id)))
            .order_by(Violation.created_at, Violation.id))
    if user.has_role(Role.UNIT) and user.organisation_id:
        out["refusals"] = (
            select(Assignment).where(
                Assignment.answer == "refused", Assignment.reason_justified.is_(None),
                Assignment.batch_id.in_(select(EvaluationBatch.id).where(
                    EvaluationBatch.organisation_id == user.organisation_id)))
            .order_by(Assignment.answered_at, Assignment.id))
    return out


def _likely(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``condition`` marked as true for most rows, on SQLite (the registry's planner hint,
    :func:`portal.registry.queries._scope`): SQLite, without statistics, would otherwise
    start a city's count of cards awaiting collection from the city's thousands of people
    rather than from the few cards awaiting collection (42 → 12 ms on the bench database).
    The rows are those of ``visible(Card, user)``: a card is visible with its holder."""
    if db.engine.dialect.name == "sqlite":
        return func.likelihood(condition, literal_column("0.9"))
    return condition


def _count_of(stmt: Select):
    return stmt.with_only_columns(func.count()).order_by(None).scalar_subquery()


def work_counts(user: User, today: date) -> dict[str, int]:
    """How many items of each kind wait for ``user``, in one statement."""
    selects = work_selects(user, today)
    if not selects:
        return {}
    row = db.session.execute(select(*[_count_of(s).label(k) for k, s in selects.items()])).one()
    return dict(zip(selects, row, strict=True))


def work_total(user: User, today: date) -> int:
    """The navigation badge: every item waiting for ``user``, one statement."""
    selects = work_selects(user, today)
    if not selects:
        return 0
    total = None
    for s in selects.values():
        total = _count_of(s) if total is None else total + _count_of(s)
    return int(db.session.scalar(select(total)) or 0)


# --------------------------------------------------------------------------- choices


def choices(user: User) -> dict:
    """Filter choices: cities (the province only: 21 cities and 四川省), occupations, years."""
    regions = list(db.session.scalars(select(Region).order_by(Region.sort_order)))
    occupations = list(db.session.scalars(select(Occupation).where(Occupation.active)
                                          .order_by(Occupation.code)))
    return {"regions": regions, "occupations": occupations}


def names(model, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())

