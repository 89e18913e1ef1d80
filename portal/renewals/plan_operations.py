"""The province's renewal plan of a year (复核换证计划, notice §三(二)): creating it with the
dates the notice fixes, changing it, publishing it, the daily job that creates it on 28 March
when nobody has, and closing it — the cards of eligible holders who did not take part, or
whose renewal was not completed, are revoked then (notice §三(四)4 "未按规定参加复审的，取消原有
考评资格"). Every change is audited; the caller commits (the daily job commits its own work).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from portal.audit.operations import record
from portal.cards.models import Card
from portal.cards.operations import CardError, revoke_card
from portal.extensions import db
from portal.renewals import plan_queries
from portal.renewals.models import RenewalApplication, RenewalPlan
from portal.renewals.queries import not_completed_select
from portal.renewals.rules import (
    REGISTRATION_OPENS,
    REGISTRATION_WORKDAYS,
    registration_closes,
    registration_opens,
)
from portal.timeutil import cn_date, utcnow
from portal.workdays import CalendarNotMaintained

#: How the close date is counted, as the plan page and the form show it (notice §三(二)).
CLOSE_RULE = f"{REGISTRATION_OPENS[0]}月{REGISTRATION_OPENS[1]}日后第{REGISTRATION_WORKDAYS}个工作日"

#: The reason written on every card revoked when a plan closes (notice §三(四)4).
CLOSE_REVOKE_REASON = "未按规定参加复核换证，取消原有考评资格（川人社职鉴〔2021〕4号 三（四）4）"


class PlanError(ValueError):
    """A change of a renewal plan that is not allowed; the message is Chinese."""


@dataclass(frozen=True)
class PlanDates:
    """The registration window the notice fixes for a year."""

    opens_on: date
    closes_on: date


def default_title(year: int) -> str:
    return f"{year}年度考评员复核换证计划"


def plan_dates(year: int) -> PlanDates:
    """Opens 28 March, closes on the 20th working day after it (:func:`portal.renewals.rules
    .registration_closes`). A year whose working-day calendar is not maintained is a
    :class:`PlanError` telling the administrator to maintain it — never a weekday guess."""
    try:
        closes_on = registration_closes(year)
    except CalendarNotMaintained as exc:
        raise PlanError(f"无法计算{year}年复核换证报名截止日期（{CLOSE_RULE}）：{exc}。"
                        "工作日历维护后再创建计划。") from None
    return PlanDates(registration_opens(year), closes_on)


def cutoff_problem(plan_opens_on: date, cutoff: date) -> str | None:
    """Why ``cutoff`` cannot be the plan's expiry cut-off (Chinese), or None."""
    if cutoff < plan_opens_on:
        return f"有效期截止日期不能早于报名开始日期（{cn_date(plan_opens_on)}）"
    return None


def create_plan(*, year: int, title: str = "", expiry_cutoff: date | None = None,
                notes: str = "", actor_id: int | None, auto: bool = False) -> RenewalPlan:
    """A new plan of ``year`` with the notice's dates (:func:`plan_dates`); the cut-off
    defaults to the close date. One plan per year. Not published: :func:`publish` does that
    (the daily job does both, ``auto=True``). Audited as ``renewal_plan.create``."""
    if plan_queries.plan_of_year(year) is not None:
        raise PlanError(f"{year}年度的复核换证计划已经存在，每年只有一个计划；请在计划页面修改。")
    dates = plan_dates(year)
    cutoff = expiry_cutoff or dates.closes_on
    if problem := cutoff_problem(dates.opens_on, cutoff):
        raise PlanError(problem)
    plan = RenewalPlan(year=year, title=(title or "").strip() or default_title(year),
                       opens_on=dates.opens_on, closes_on=dates.closes_on, expiry_cutoff=cutoff,
                       notes=(notes or "").strip(), auto_created=auto,
                       created_by_id=None if auto else actor_id)
    db.session.add(plan)
    db.session.flush()
    _record("renewal_plan.create", plan, actor_id, auto,
            after={"year": year, "title": plan.title, "opens_on": plan.opens_on,
                   "closes_on": plan.closes_on, "expiry_cutoff": cutoff,
                   "auto_created": auto})
    return plan


def _record(action: str, plan: RenewalPlan, actor_id: int | None, auto: bool, **kw) -> None:
    event = record(action, plan, actor_id=actor_id, **kw)
    if auto:  # the system's own act: no user, no address, even if a request is around
        event.actor_id, event.ip = None, ""


def latest_applied_validity(plan: RenewalPlan) -> date | None:
    """The latest validity end among the cards already applied for under ``plan``."""
    return db.session.scalar(
        select(func.max(Card.valid_until)).join(RenewalApplication,
                                                RenewalApplication.card_id == Card.id)
        .where(RenewalApplication.plan_id == plan.id))


def update_plan(plan: RenewalPlan, *, title: str | None, expiry_cutoff: date,
                notes: str | None, actor_id: int) -> None:
    """Change the plan. Before publication: title, cut-off and notes. After publication only
    the cut-off (holders have read the rest), and never earlier than the validity of a card
    someone has already applied to renew. A closed plan is final. Audited as
    ``renewal_plan.update`` with what changed."""
    if plan.closed_at is not None:
        raise PlanError("该复核换证计划已经结束，不能再修改。")
    if problem := cutoff_problem(plan.opens_on, expiry_cutoff):
        raise PlanError(problem)
    latest = latest_applied_validity(plan)
    if latest is not None and expiry_cutoff < latest:
        raise PlanError(f"已有持证人按本计划申请复核换证，其证卡有效期至{cn_date(latest)}；"
                        "有效期截止日期不能早于该日。")
    before = {"title": plan.title, "expiry_cutoff": plan.expiry_cutoff, "notes": plan.notes}
    plan.expiry_cutoff = expiry_cutoff
    if plan.published_at is None:
        if title is not None:
            plan.title = title.strip() or default_title(plan.year)
        if notes is not None:
            plan.notes = notes.strip()
    after = {"title": plan.title, "expiry_cutoff": plan.expiry_cutoff, "notes": plan.notes}
    if before == after:
        return
    record("renewal_plan.update", plan, actor_id=actor_id, before=before, after=after)


def publish(plan: RenewalPlan, *, actor_id: int | None, auto: bool = False) -> None:
    """Publish the plan: holders may apply during its window. Audited as
    ``renewal_plan.publish``."""
    if plan.published_at is not None:
        raise PlanError("该复核换证计划已经发布。")
    plan.published_at = utcnow()
    _record("renewal_plan.publish", plan, actor_id, auto,
            after={"published_at": plan.published_at})


# --- the daily job ------------------------------------------------------------------------------

def ensure_plan(today: date) -> str:
    """The daily job: from 28 March through the close date of ``today``'s year, create and
    publish that year's plan if there is none (``auto_created``, no creator), so holders can
    apply even if no officer did it (notice §三(二) "每年3月28日……发布换证计划"). Idempotent.

    Before 28 March and after the close date it does nothing. An unmaintained calendar
    raises :class:`PlanError` (the job runner reports it as failed) — the close date is never
    guessed. Returns a one-line Chinese summary.
    """
    year = today.year
    opens_on = registration_opens(year)
    if today < opens_on:
        return f"未到{cn_date(opens_on)}，无需创建{year}年度复核换证计划"
    existing = plan_queries.plan_of_year(year)
    if existing is not None:
        state = "已发布" if existing.published_at else "未发布，请省职鉴中心发布"
        return f"{year}年度复核换证计划已存在（{state}）"
    dates = plan_dates(year)
    if today > dates.closes_on:
        return f"{year}年度复核换证报名已于{cn_date(dates.closes_on)}截止，不再自动创建计划"
    plan = create_plan(year=year, actor_id=None, auto=True)
    publish(plan, actor_id=None, auto=True)
    return (f"已自动创建并发布{plan.title}：报名{cn_date(plan.opens_on)}至"
            f"{cn_date(plan.closes_on)}")


# --- closing ------------------------------------------------------------------------------------

def close_problem(plan: RenewalPlan, today: date) -> str | None:
    """Why ``plan`` cannot be closed on ``today`` (Chinese), or None: it must be published,
    not closed yet, past its close date, and no application of it may still be with an
    office (:func:`portal.renewals.plan_queries.in_office`) — those reviews end first."""
    if plan.closed_at is not None:
        return f"该复核换证计划已于{cn_date(plan.closed_at)}结束。"
    if plan.published_at is None:
        return "该复核换证计划尚未发布，不能结束。"
    if today <= plan.closes_on:
        return f"报名截止日期（{cn_date(plan.closes_on)}）之后才能结束复核换证。"
    waiting = plan_queries.in_office_count(plan)
    if waiting:
        return (f"还有{waiting}份复核换证申请在申报单位、初审单位或省职鉴中心审核中，"
                "请先完成这些审核，再结束复核换证。")
    return None


def close_plan(plan: RenewalPlan, *, actor_id: int, today: date,
               expected: int | None = None) -> list[Card]:
    """Close the plan: revoke, in this one transaction, every card of
    :func:`portal.renewals.queries.not_completed_select` (eligible, not renewed: no
    application, or one that ended without renewal or stayed with the holder) through
    :func:`portal.cards.operations.revoke_card`, dated ``today``, with
    :data:`CLOSE_REVOKE_REASON`; then record who closed it. ``expected`` is the count the
    province confirmed: if the list changed since, nothing happens (:class:`PlanError`).
    Refused as :func:`close_problem` says. Audited as ``renewal_plan.close`` with the count.
    Returns the revoked cards."""
    if problem := close_problem(plan, today):
        raise PlanError(problem)
    cards = list(db.session.scalars(
        not_completed_select(plan).order_by(Card.id).with_for_update()))
    if expected is not None and expected != len(cards):
        raise PlanError(f"确认时名单为{expected}张证卡，现在为{len(cards)}张；"
                        "名单已变化，请重新核对后再确认。")
    for card in cards:
        try:
            revoke_card(card, today, CLOSE_REVOKE_REASON, actor_id=actor_id, today=today)
        except CardError as exc:
            raise PlanError(f"证卡 {card.number} 不能注销：{exc}") from None
    plan.closed_at, plan.closed_by_id = utcnow(), actor_id
    record("renewal_plan.close", plan, actor_id=actor_id,
           before={"closed_at": None},
           after={"closed_at": plan.closed_at, "revoked": len(cards), "revoked_on": today,
                  "cards": [c.number for c in cards]})
    return cards
