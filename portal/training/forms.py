"""Forms of the training plan pages."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from portal.applications.models import TRAINING_MODES
from portal.applications.rules import CARD_LEVELS
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.fields import CnDateField, IntField, MultiCheckboxField, Select, choices
from portal.forms import input_required, max_len, optional, required
from portal.training import rules


class PlanForm(FlaskForm):
    year = IntField("年度", validators=[input_required("请填写年度"),
                                       NumberRange(min=2021, max=2100, message="年度不正确")])
    title = StringField("名称", validators=[required("请填写计划名称"), max_len(100)])
    levels = MultiCheckboxField("培训级别", choices=choices((x, x) for x in CARD_LEVELS),
                                validators=[required("请至少选择一个级别")])
    occupation_ids = MultiCheckboxField("职业（工种）", coerce=int,
                                        validators=[required("请至少选择一个职业（工种）")])
    opens_on = CnDateField("报名开始日期", validators=[required("请选择报名开始日期")])
    closes_on = CnDateField("报名截止日期", validators=[required("请选择报名截止日期")])
    mode = Select("培训方式", choices=choices(TRAINING_MODES.items()))
    places = IntField("计划人数", validators=[
        input_required("请填写计划人数"), NumberRange(min=1, max=100000, message="人数应为正整数")])
    notes = TextAreaField("说明", validators=[optional(), max_len(2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        occupations = db.session.scalars(
            db.select(Occupation).where(Occupation.active).order_by(Occupation.code)).all()
        self.occupation_ids.choices = choices((o.id, o.name) for o in occupations)

    def validate_closes_on(self, field):
        if problem := rules.window_problem(self.opens_on.data, field.data):
            raise ValidationError(problem)


class QuotaForm(FlaskForm):
    base = IntField("名额", validators=[input_required("请填写名额"),
                                       NumberRange(min=0, max=10000, message="名额应为 0–10000")])


class PublishForm(FlaskForm):
    """Publishing carries only the CSRF token."""
