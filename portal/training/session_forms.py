"""Forms of the training session pages (sessions, 专场 requests, participants, attendance,
results). Chinese messages; each POST carries the CSRF token through its form."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from portal.applications.models import TRAINING_MODES
from portal.fields import CnDateField, Select, choices
from portal.forms import max_len, optional, required
from portal.training import session_rules as rules


class _Dates:
    """Start and end dates, the end not before the start."""

    def validate_ends_on(self, field):
        if problem := rules.dates_problem(self.starts_on.data, field.data):
            raise ValidationError(problem)


class SessionForm(_Dates, FlaskForm):
    """The province creates or edits a session."""

    starts_on = CnDateField("培训开始日期", validators=[required("请选择培训开始日期")])
    ends_on = CnDateField("培训结束日期", validators=[required("请选择培训结束日期")])
    mode = Select("培训方式", choices=choices(TRAINING_MODES.items()))
    place = StringField("培训地点", validators=[required("请填写培训地点（线上培训填写平台或直播地址）"),
                                              max_len(100)])
    notes = TextAreaField("安排说明", validators=[optional(), max_len(2000)])


class RequestForm(_Dates, FlaskForm):
    """A unit requests a 专场 session with its training plan (notice §二(五) "附培训方案")."""

    starts_on = CnDateField("拟培训开始日期", validators=[required("请选择拟培训开始日期")])
    ends_on = CnDateField("拟培训结束日期", validators=[required("请选择拟培训结束日期")])
    place = StringField("拟培训地点", validators=[required("请填写拟培训地点"), max_len(100)])
    notes = TextAreaField("申请说明", validators=[
        required("请说明参训人数和申请专场的理由"), max_len(2000)])
    request_plan = FileField("培训方案（PDF）",
                             validators=[FileRequired(message="请上传培训方案（PDF 文件）")])


class ScheduleForm(_Dates, FlaskForm):
    """The province schedules a 专场 request, settling its dates and place."""

    starts_on = CnDateField("培训开始日期", validators=[required("请选择培训开始日期")])
    ends_on = CnDateField("培训结束日期", validators=[required("请选择培训结束日期")])
    place = StringField("培训地点", validators=[required("请填写培训地点"), max_len(100)])
    notes = TextAreaField("安排说明", validators=[optional(), max_len(2000)])


class DeclineForm(FlaskForm):
    reason = TextAreaField("不予安排的理由", validators=[
        required("请填写不予安排的理由"), max_len(500)])


class AssignForm(FlaskForm):
    """The applications ticked on the session page; choices are those the page offered."""

    application_ids = SelectMultipleField(
        "学员", coerce=int, validate_choice=False,
        validators=[InputRequired(message="请至少选择一名学员")])


class RemoveForm(FlaskForm):
    """Removing a participant, or deleting an empty session, carries only the CSRF token."""


class AttendanceForm(FlaskForm):
    """One participant's attendance: 已参加, or 未参加 with or without a special reason."""

    outcome = Select("考勤", choices=choices((("attend", "已参加"), ("absent", "未参加"))))
    excused = BooleanField("有特殊原因")
    reason = StringField("原因", validators=[optional(), max_len(200)])

    def validate_reason(self, field):
        if self.outcome.data == "absent" and self.excused.data and not (field.data or "").strip():
            raise ValidationError("有特殊原因的缺席须填写原因")


class AssessmentDateForm(FlaskForm):
    assessed_on = CnDateField("考核日期", validators=[required("请选择考核日期")])


class ResultForm(FlaskForm):
    """One participant's score; the verdict follows it (session_rules.result_for)."""

    score = StringField("考核成绩", validators=[required("请填写考核成绩")])

    def validate_score(self, field):
        try:
            self.score_value = rules.parse_score(field.data)
        except rules.ScoreError as exc:
            raise ValidationError(str(exc)) from exc


class ImportForm(FlaskForm):
    workbook = FileField("填好的成绩表（XLSX 文件）",
                         validators=[FileRequired(message="请选择要上传的 XLSX 文件")])


class ConfirmForm(FlaskForm):
    """The checked rows, signed by the server: the client cannot change what is imported."""

    payload = HiddenField(validators=[InputRequired(message="缺少导入内容，请重新上传文件")])
