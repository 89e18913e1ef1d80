"""What a qualification summary table and a renewal summary table have in common: the
reviewing office a user works for, who may see and change a table, its number, and its PDF
and XLSX (Attachment 2 through the one PDF renderer and the one XLSX exporter).

A table model here is one with ``region_id``, ``reviewer_org_id``, ``number``, ``plan``
(with ``title``), ``filled_by``, ``contact_name``, ``contact_phone``, ``created_at`` and
``sent_at`` (:class:`portal.applications.models.SummaryTable`,
:class:`portal.renewals.models.RenewalSummaryTable`); an application model one with
``region_id``, ``unit_id`` and ``summary_table_id``. The caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, func, select

from portal.audit.operations import record
from portal.auth.roles import Role
from portal.catalogue.models import Region
from portal.extensions import db
from portal.scope import visible
from portal.summary_tables.rules import (
    ATTACHMENT2_COLUMNS,
    ATTACHMENT2_TITLE,
    Column,
    fit_widths,
    office_code,
    table_number,
)
from portal.timeutil import cn_date, to_local, utcnow

__all__ = [
    "Office",
    "filled_on",
    "in_office",
    "is_reviewer",
    "may_view",
    "next_number",
    "offices_of",
    "pdf_bytes",
    "province_region",
    "table_sizes",
    "tables_select",
    "xlsx_bytes",
]


# --------------------------------------------------------------------------- reviewing offices


@dataclass(frozen=True)
class Office:
    """An initial-review office a user works for: a city centre (``org_id`` None) or a
    provincial-direct institution (the 四川省 region and the institution)."""

    region_id: int
    org_id: int | None
    name: str  # the default 填报单位
    code: str  # the office part of a table number

    @property
    def key(self) -> str:
        return f"org:{self.org_id}" if self.org_id else f"city:{self.region_id}"


def offices_of(user) -> list[Office]:
    """The offices for which ``user`` does initial reviews (usually one, often none): the
    city centre of a ``city`` officer's city; the provincial-direct institution of a ``unit``
    clerk (notice §二(三)2, §三(四)4)."""
    offices = []
    if user.has_role(Role.CITY) and user.region is not None and not user.region.is_province:
        offices.append(Office(user.region_id, None, f"{user.region.name}职业技能鉴定指导中心",
                              office_code(user.region.code, None)))
    org = user.organisation
    if user.has_role(Role.UNIT) and org is not None and org.provincial_direct:
        province = province_region()
        if province is not None:
            offices.append(Office(province.id, org.id, org.name, office_code(province.code, org.id)))
    return offices


def province_region() -> Region | None:
    """The region row of the province itself (四川省)."""
    return db.session.scalars(select(Region).where(Region.is_province)).first()


def is_reviewer(user, table) -> bool:
    """Whether ``user`` works for the office that made ``table`` (and may change or send it)."""
    return any(o.region_id == table.region_id and o.org_id == table.reviewer_org_id
               for o in offices_of(user))


def in_office(model, office: Office):
    """The condition "an application of ``model`` that ``office`` reviews": of the city, or
    of the 四川省 region addressed to the institution."""
    if office.org_id is None:
        return and_(model.region_id == office.region_id)
    return and_(model.region_id == office.region_id, model.unit_id == office.org_id)


# --------------------------------------------------------------------------- reads


def tables_select(model, user) -> Select:
    """The tables of ``model`` that ``user`` may list: the office's own; for the province
    only sent ones."""
    stmt = (select(model).where(visible(model, user))
            .order_by(model.created_at.desc(), model.id.desc()))
    if not offices_of(user) and not user.has_role(Role.ADMIN):
        stmt = stmt.where(model.sent_at.is_not(None))
    return stmt


def may_view(user, table) -> bool:
    """The province sees a table once it is sent; its office (and the admin) always."""
    return table.sent_at is not None or is_reviewer(user, table) or user.has_role(Role.ADMIN)


def table_sizes(application_model, table_ids: list[int]) -> dict[int, int]:
    """How many applications each of these tables holds now."""
    if not table_ids:
        return {}
    column = application_model.summary_table_id
    return dict(db.session.execute(
        select(column, func.count()).where(column.in_(table_ids)).group_by(column)).all())


def next_number(model, year: int, office: Office, prefix: str = "HZ") -> str:
    """The next free number of ``office``'s tables of ``model`` in ``year``
    (:func:`portal.summary_tables.rules.table_number`). Two tables made at the same moment
    may get the same number; the unique constraint refuses the second."""
    start = table_number(year, office.code, 0, prefix)[:-3]
    numbers = db.session.scalars(select(model.number).where(model.number.like(f"{start}%"))).all()
    seqs = [int(n[len(start):]) for n in numbers if n[len(start):].isdigit()]
    return table_number(year, office.code, max(seqs, default=0) + 1, prefix)


# --------------------------------------------------------------------------- changes


def new_table(model, *, plan, office: Office, user, filled_by: str, contact_name: str,
              contact_phone: str, applications: Sequence, action: str, prefix: str = "HZ"):
    """A new table of ``model`` (a qualification or renewal summary table) of ``office``
    carrying ``applications`` (checked by the caller: approved, waiting for a table, held
    by ``user``), numbered (:func:`next_number`) and audited as ``action``."""
    table = model(plan=plan, region_id=office.region_id, reviewer_org_id=office.org_id,
                  number=next_number(model, plan.year, office, prefix),
                  filled_by=filled_by.strip(), contact_name=contact_name.strip(),
                  contact_phone=contact_phone.strip(), created_by_id=user.id,
                  created_at=utcnow())
    db.session.add(table)
    db.session.flush()
    for application in applications:
        application.summary_table_id = table.id
    record(action, table, actor_id=user.id,
           after={"number": table.number, "plan": plan.title, "filled_by": table.filled_by,
                  "contact_name": table.contact_name, "contact_phone": table.contact_phone,
                  "applications": [a.id for a in applications]})
    return table


def sent_problem(table) -> str | None:
    """Why ``table`` may no longer change (it was sent to the province), or None."""
    if table.sent_at is not None:
        return f"汇总表 {table.number} 已报送省职鉴中心，不能再修改。"
    return None


def set_scan(table, upload_id: int, *, user, action: str) -> None:
    """Attach the stamped scan (a stored upload), replacing an earlier one; audited as
    ``action``. The caller has checked :func:`sent_problem`."""
    before = table.scan_id
    table.scan_id = upload_id
    record(action, table, actor_id=user.id, before={"scan_id": before},
           after={"scan_id": upload_id})


def release(application, *, action: str, actor_id: int | None):
    """Take ``application`` off its table (after a return), so a later table can carry it;
    audited as ``action``. On an unsent table with a scan, the scan no longer shows the
    table's content and is detached (the office prints and stamps the table again).
    Returns the table it left, or None."""
    table = application.summary_table
    if table is None:
        return None
    application.summary_table_id = None
    application.summary_table = None
    after = {"application": application.id, "number": table.number}
    if table.sent_at is None and table.scan_id is not None:
        after["scan_detached"] = table.scan_id
        table.scan_id = None
    record(action, table, actor_id=actor_id, before={"application": application.id},
           after=after)
    return table


def delete_table(table, applications: Sequence, *, action: str, user) -> int:
    """Delete an unsent ``table`` (the caller has checked :func:`sent_problem`); its
    ``applications`` wait for a new table again. Audited as ``action``; returns how many."""
    for application in applications:
        application.summary_table_id = None
    record(action, table, actor_id=user.id,
           before={"number": table.number, "applications": [a.id for a in applications]})
    db.session.delete(table)
    db.session.flush()
    return len(applications)


def store_scan(model, table_id: int, file, *, user, attach, refused: type[Exception]):
    """The scan route's one write transaction: lock the table, store ``file`` through the
    upload service (checked by content and size) and ``attach(table, upload_id)``. Returns
    None when done (the caller commits), else ``(field_errors, message)`` after a rollback:
    the upload's refusal for the file field, or the workflow's (``refused``) for the page."""
    from portal.dbutil import begin_write
    from portal.uploads.service import UploadRejected, store

    begin_write()
    table = db.session.get(model, table_id, with_for_update=True)
    try:
        upload = store(file, actor_id=user.id)
        attach(table, upload.id)
    except UploadRejected as exc:
        db.session.rollback()
        return [str(exc)], None
    except refused as exc:
        db.session.rollback()
        return [], str(exc)
    return None


# --------------------------------------------------------------------------- the form


def filled_on(table) -> date:
    """填报时间: the day the table was made (China time)."""
    return to_local(table.created_at).date()


def pdf_bytes(table, rows: Sequence[Sequence[object]], *,
              columns: Sequence[Column] = ATTACHMENT2_COLUMNS,
              title: str = ATTACHMENT2_TITLE) -> bytes:
    """Attachment 2 in the official layout, landscape A4, through the one renderer: the
    title, 填报单位（盖章）, one line per row under ``columns`` (the header repeats on
    every page), 经办人, 联系电话 and 填报时间."""
    from portal.pdf import render_pdf

    return render_pdf("pdf/attachment2.html", table=table, title=title,
                      columns=list(zip(columns, fit_widths(columns), strict=True)),
                      rows=rows, filled_on=filled_on(table))


def xlsx_bytes(table, rows: Sequence[Sequence[object]], *,
               columns: Sequence[Column] = ATTACHMENT2_COLUMNS,
               title: str = ATTACHMENT2_TITLE) -> bytes:
    """Attachment 2 as a spreadsheet through the one exporter (formula-safe cells)."""
    from portal.xlsx import build_xlsx

    return build_xlsx(
        title, [c.header for c in columns], rows,
        header_lines=[f"填报单位：{table.filled_by}（盖章）", f"汇总表编号：{table.number}"],
        footer_lines=[f"经办人：{table.contact_name}　　联系电话：{table.contact_phone}　　"
                      f"填报时间：{cn_date(filled_on(table))}"],
        column_widths=[c.xlsx_width for c in columns],
    )
