"""Forms of the working-day calendar page."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, TextAreaField

from portal.fields import Select, choices
from portal.forms import max_len, optional, required


class DayForm(FlaskForm):
    day = DateField("日期", validators=[required("请选择日期")],
                    render_kw={"type": "date"})
    kind = Select("类型", choices=choices([("休", "休（放假）"), ("班", "班（调休上班）")]))
    note = StringField("说明", validators=[optional(), max_len(100)])

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self._year = year

    def validate_day(self, field):
        from wtforms.validators import ValidationError

        if field.data and field.data.year != self._year:
            raise ValidationError(f"日期须在 {self._year} 年内")


class ScheduleForm(FlaskForm):
    text = TextAreaField("粘贴全年安排（每行一条）", validators=[required("请粘贴放假和调休安排")],
                         render_kw={"rows": 10, "spellcheck": "false"})
    complete = BooleanField("这是该年完整的放假和调休安排（保存后该年视为已维护，可据此计算工作日期限）",
                            default=True)


class ConfirmForm(FlaskForm):
    """Only the CSRF token: confirm a year, or remove one day."""
