"""Forms of the violations register: recording a violation or incident, and deciding on it."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, TextAreaField

from portal.fields import CnDateField, IntField, Select, choices
from portal.forms import input_required, max_len, required
from portal.violations.rules import DESCRIPTION_MAX, KINDS, REASON_MAX, Decision, kind_info


class RecordForm(FlaskForm):
    """The examiner (found by the search), kind, date, batch (optional), description and
    evidence. The kinds offered are those the recorder may record (``kinds``); the batch is
    chosen from the examiner's batches the recorder may attach to and checked again by
    :func:`portal.violations.operations.recording_problems`."""

    person_id = IntField("考评员", validators=[input_required("请先搜索并选择考评员")])
    kind = Select("类别", invalid_choice_message="请选择类别")
    occurred_on = CnDateField("发生日期", validators=[required("请选择发生日期")])
    batch_id = IntField("考评批次")
    description = TextAreaField(
        "情况说明", validators=[required("请填写情况说明"), max_len(DESCRIPTION_MAX)],
        render_kw={"rows": 6, "maxlength": DESCRIPTION_MAX})
    evidence = FileField("证据材料（可不上传；PDF、JPG 或 PNG）")

    def __init__(self, *args, kinds: tuple[str, ...] = KINDS, **kwargs):
        super().__init__(*args, **kwargs)
        # Any known kind passes the form; whether this recorder may record it is the
        # operation's check, which names the kinds they may (a clearer message).
        self.kind.choices = choices((k, kind_info(k).label) for k in KINDS)
        #: The kinds offered on the form.
        self.kinds = [kind_info(k) for k in kinds]


class DecideForm(FlaskForm):
    """确认 or 不予认定, with the reason. ``seen`` is the state the officer decided on, so a
    decision taken meanwhile by someone else is not silently overwritten."""

    decision = Select("认定结果", choices=choices((d.value, d.label) for d in Decision),
                      invalid_choice_message="请选择“确认”或“不予认定”")
    reason = TextAreaField("理由", validators=[required("请填写认定理由"), max_len(REASON_MAX)],
                           render_kw={"rows": 3, "maxlength": REASON_MAX})
    seen = HiddenField()
