"""The scheduled jobs, run once a day by ``flask --app app jobs daily`` from cron or a systemd
timer. Each job takes the day it runs for, is idempotent (a second run the same day changes
nothing) and commits its own work; one failing job does not stop the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from portal.extensions import db


def _card_sweep(today: date) -> str:
    """Void cards not collected within 60 working days; ban after two consecutive voids."""
    from portal.cards.operations import sweep
    from portal.dbutil import begin_write

    begin_write()
    result = sweep(today)
    db.session.commit()
    return result.summary()


def _renewal_plan(today: date) -> str:
    """From 28 March, create and publish the year's renewal plan if nobody has (notice §三(二));
    fails, with the Chinese message, while the year's working-day calendar is not maintained."""
    from portal.dbutil import begin_write
    from portal.renewals.plan_operations import ensure_plan

    begin_write()
    result = ensure_plan(today)
    db.session.commit()
    return result


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    run: Callable[[date], str]


#: Every daily job, in the order they run.
DAILY: tuple[Job, ...] = (
    Job("cards.sweep", "证卡清理", _card_sweep),
    Job("renewals.plan", "复核换证计划", _renewal_plan),
)


def run_daily(today: date) -> list[tuple[Job, str, bool]]:
    """Run every daily job for ``today``: (job, summary or error message, succeeded)."""
    results = []
    for job in DAILY:
        try:
            results.append((job, job.run(today), True))
        except Exception as exc:  # noqa: BLE001 - report and go on with the next job
            db.session.rollback()
            results.append((job, f"{type(exc).__name__}: {exc}", False))
    return results
