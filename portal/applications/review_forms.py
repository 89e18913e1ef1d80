"""Forms of the review pages: a move on an application, a new summary table, its scan, and
the province's bulk decisions over a sent table."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Regexp

from portal.applications.rules import CANNED_REASONS, Action
from portal.fields import MultiCheckboxField, Select, choices, int_or_none
from portal.forms import max_len, optional, required

COMMENT_MAX = 1000


def _reasons_field():
    return MultiCheckboxField("常用理由（可多选）",
                              choices=choices((r, r) for r in CANNED_REASONS))


class ActForm(FlaskForm):
    """One move on an application. The buttons post ``action``; ``stage`` is the stage the
    page showed (a move from a stale page is refused)."""

    # Every action is accepted here so that a move made elsewhere (sending, attendance,
    # results) is refused with where to make it, not as an unknown choice.
    action = Select("操作", choices=choices((a.value, a.label) for a in Action),
                    validators=[required("请选择操作")])
    stage = HiddenField()
    reasons = _reasons_field()
    comment = TextAreaField("意见或理由", validators=[optional(), max_len(COMMENT_MAX)],
                            render_kw={"rows": 3})


class TableForm(FlaskForm):
    """A new summary table: which office (only asked when the user has two), the plan, the
    applications to put on it, and the form's 填报单位 / 经办人 / 联系电话."""

    office = Select("初审单位")
    plan_id = Select("培训计划", coerce=int_or_none, validators=[required("请选择培训计划")])
    application_ids = MultiCheckboxField("列入汇总表的申报", coerce=int)
    filled_by = StringField("填报单位", validators=[required("请填写填报单位"), max_len(40)])
    contact_name = StringField("经办人", validators=[required("请填写经办人"), max_len(40)])
    contact_phone = StringField("联系电话", validators=[
        required("请填写联系电话"), max_len(20),
        Regexp(r"^[0-9+\-() ]{5,20}$", message="请填写有效的联系电话，如 028-86136211")],
        render_kw={"type": "tel"})


class ScanForm(FlaskForm):
    scan = FileField("加盖公章的汇总表扫描件（PDF、JPG 或 PNG）",
                     validators=[FileRequired(message="请选择扫描件文件")])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: send a table, delete it, approve all its applications."""


class BulkReturnForm(FlaskForm):
    application_ids = MultiCheckboxField("退回的申报", coerce=int)
    reasons = _reasons_field()
    comment = TextAreaField("退回理由", validators=[optional(), max_len(COMMENT_MAX)],
                            render_kw={"rows": 2})
