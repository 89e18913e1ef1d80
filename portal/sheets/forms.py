"""Forms of the sheet page. A level click posts a radio named ``item-<n>`` (n = 1..15) and the
version of the rater's column the page was showing."""

from functools import cache

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Regexp

from portal.fields import Select, choices
from portal.forms import max_len, required
from portal.scoring.rubric import LEVELS
from portal.sheets.models import RATER_LABELS


class _LevelForm(FlaskForm):
    version = HiddenField(validators=[InputRequired(message="缺少版本号，请刷新页面"),
                                      Regexp(r"^\d+$", message="版本号无效，请刷新页面")])


@cache
def level_form_class(item: int) -> type[FlaskForm]:
    """The form for one item's click: a radio field literally named ``item-<n>``."""
    field = RadioField(f"第 {item} 项", choices=choices((lv, lv) for lv in LEVELS),
                       validators=[InputRequired(message="请选择等级")],
                       validate_choice=True, invalid_choice_message="等级只能是 A、B、C 或 D")
    return type(f"LevelForm{item}", (_LevelForm,), {f"item-{item}": field})


class SubmitForm(FlaskForm):
    """Only the CSRF token: submit (lock) one's own column."""


class ReopenForm(FlaskForm):
    role = Select("重新打开哪一列", choices=choices(RATER_LABELS.items()))
    reason = TextAreaField("原因", validators=[required("请填写重新打开的原因"), max_len(300)],
                           render_kw={"rows": 2})


class ScanForm(FlaskForm):
    scan = FileField("签字扫描件（PDF、JPG 或 PNG）",
                     validators=[FileRequired(message="请选择扫描件文件")])
