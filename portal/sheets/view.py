"""What one viewer sees of a sheet: the blind rules applied once, for the page, the partials
and the PDF alike (so no template decides visibility on its own)."""

from dataclasses import dataclass, field

from portal.auth.roles import Role
from portal.scoring.rubric import GRADE_NOTE, Rubric, grade, grade_bands_differ
from portal.sheets import rules
from portal.sheets.models import RATER_LABELS, RATER_ROLES, EvaluationSheet, SheetColumn


@dataclass
class ColumnView:
    role: str
    label: str
    rater_name: str
    marked: int
    submitted: bool
    imported: bool
    visible: bool  # levels and total may be shown to this viewer
    editable: bool  # this viewer may click levels now
    version: int
    levels: dict[int, str] = field(default_factory=dict)
    total: int | None = None

    @property
    def progress(self) -> str:
        return f"{self.marked}/15"


@dataclass
class SheetView:
    sheet: EvaluationSheet
    rubric: Rubric
    viewer_role: str | None
    columns: dict[str, ColumnView]
    disagreements: list[int]
    bands_differ: bool
    grade_note: str = GRADE_NOTE

    @property
    def ordered(self) -> list[ColumnView]:
        return [self.columns[r] for r in RATER_ROLES]

    def points(self, role: str, item: int) -> int | None:
        col = self.columns[role]
        level = col.levels.get(item) if col.visible else None
        return self.rubric.item(item).points[level] if level else None

    def total_grade(self, role: str) -> str | None:
        col = self.columns[role]
        return grade(col.total) if col.visible and col.total is not None else None


def rater_role_of(sheet: EvaluationSheet, user) -> str | None:
    """The role of the column ``user`` rates on this sheet (None if they rate neither)."""
    for column in sheet.columns:
        if column.rater_id == user.id and user.has_role(column.role):
            return column.role
    return None


def build(sheet: EvaluationSheet, user) -> SheetView:
    viewer_role = rater_role_of(sheet, user)
    own: SheetColumn | None = sheet.column(viewer_role) if viewer_role else None
    columns = {}
    for column in sheet.columns:
        visible = rules.may_see_column(
            viewer_is_rater_of=viewer_role, column_role=column.role,
            own_column_submitted=bool(own and own.is_submitted), sheet_final=sheet.is_final,
        )
        columns[column.role] = ColumnView(
            role=column.role, label=RATER_LABELS[column.role],
            rater_name=column.rater_name or "（未指定）",
            marked=column.marked, submitted=column.is_submitted, imported=column.imported,
            visible=visible, editable=(column.role == viewer_role and not column.is_submitted),
            version=column.version,
            levels=column.levels if visible else {}, total=column.total if visible else None,
        )
    both_visible = all(c.visible for c in columns.values())
    sup, lead = columns["supervisor"], columns["site_lead"]
    return SheetView(
        sheet=sheet, rubric=sheet.rubric, viewer_role=viewer_role, columns=columns,
        disagreements=rules.disagreements(sup.levels, lead.levels) if both_visible else [],
        bands_differ=both_visible and sup.submitted and lead.submitted
        and grade_bands_differ(sup.total, lead.total),
    )


def can_reopen(user) -> bool:
    """Only a city or province officer may reopen a submitted column (with a reason)."""
    return user.has_role(Role.CITY, Role.PROVINCE)


def can_attach_scan(user, sheet: EvaluationSheet) -> bool:
    """The institution's clerk, or a city/province officer, attaches the signed scan."""
    if user.has_role(Role.CITY, Role.PROVINCE):
        return True
    return user.has_role(Role.UNIT) and user.organisation_id == sheet.batch.organisation_id
