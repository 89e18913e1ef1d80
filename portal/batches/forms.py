"""Forms of the batch pages: create a batch, name its raters, assign an examiner (with the
warning confirmations), record an answer, judge a refusal, declare a recusal."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError
from wtforms.widgets import HiddenInput

from portal.auth.roles import Role
from portal.batches import queries, rules
from portal.fields import CnDateField, IntField, MultiCheckboxField, Select, choices, int_or_none
from portal.forms import input_required, max_len, optional, required


class BatchForm(FlaskForm):
    occupation_id = Select("职业（工种）", coerce=int_or_none,
                           validators=[required("请选择职业（工种）")])
    level = Select("级别", coerce=int,
                   choices=choices(rules.level_choices()))
    start = CnDateField("考评日期", validators=[required("请选择考评日期")])
    end = CnDateField("至（连续多日时填写最后一天）", validators=[optional()])
    site = StringField("考点", validators=[required("请填写考点"), max_len(200)])
    candidates = IntField("考生人数", default=0, validators=[
        input_required("请填写考生人数"),
        NumberRange(min=0, max=100000, message="考生人数应为 0–100000 的整数"),
    ])
    site_lead_id = Select("评价机构考场负责人", coerce=int_or_none,
                          validators=[required("请选择考场负责人")])
    supervisor_id = Select("质量督导员", coerce=int_or_none, validators=[optional()])

    def __init__(self, *args, organisation_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.occupation_id.choices = choices(
            [("", "请选择")]
            + [(o.id, f"{o.name}（{o.code}）") for o in queries.occupations() if o.active])
        _rater_choices(self, organisation_id)

    def validate_end(self, field):
        if field.data and self.start.data:
            problem = rules.exam_days_problem(self.start.data, field.data)
            if problem:
                raise ValidationError(problem)


def _rater_choices(form, organisation_id: int) -> None:
    if "site_lead_id" in form:
        leads = queries.users_with_role(Role.SITE_LEAD, organisation_id=organisation_id)
        form.site_lead_id.choices = choices(
            [("", "请选择")] + [(u.id, u.display_name) for u in leads])
    supervisors = queries.users_with_role(Role.SUPERVISOR)
    form.supervisor_id.choices = choices(
        [("", "（暂不指定，由市州或省职鉴中心指派）")]
        + [(u.id, u.display_name) for u in supervisors])


class RatersForm(FlaskForm):
    """The batch's two raters; city and province officers get the supervisor only."""

    site_lead_id = Select("评价机构考场负责人", coerce=int_or_none,
                          validators=[required("请选择考场负责人")])
    supervisor_id = Select("质量督导员", coerce=int_or_none, validators=[optional()])

    def __init__(self, *args, organisation_id: int, with_site_lead: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_site_lead:
            del self.site_lead_id
        _rater_choices(self, organisation_id)


class AssignForm(FlaskForm):
    """Assign one card holder. ``step`` is "confirm" once the warnings were shown; each
    warning must then be ticked in ``confirm``."""

    card_id = IntField(widget=HiddenInput(), validators=[input_required("请选择考评员")])
    step = HiddenField()
    confirm = MultiCheckboxField("确认提示", choices=choices(rules.WARNING_LABELS.items()))


ANSWER_CHOICES = {"accepted": "接受", "refused": "拒绝"}


class AnswerForm(FlaskForm):
    answer = Select("答复", choices=choices(ANSWER_CHOICES.items()))
    reason = StringField("拒绝理由", validators=[max_len(300)])

    def validate_reason(self, field):
        if self.answer.data == "refused" and not (field.data or "").strip():
            raise ValidationError("拒绝时请填写理由")


class JudgeForm(FlaskForm):
    justified = Select("拒绝理由", choices=choices([("yes", "理由正当"), ("no", "理由不正当")]))


class RecusalForm(FlaskForm):
    reason = TextAreaField("回避理由", validators=[required("请填写回避理由"), max_len(300)],
                           render_kw={"rows": 2, "placeholder": "如：本人为该机构在职人员"})
