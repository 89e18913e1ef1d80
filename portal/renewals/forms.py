"""Forms of the renewal pages (复核换证)."""

from __future__ import annotations

import re
import unicodedata

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from portal.applications import apply_queries as qualification_queries
from portal.applications.forms import unit_choices
from portal.catalogue.models import Region
from portal.extensions import db
from portal.fields import CnDateField, IntField, MultiCheckboxField, Select, choices, int_or_none
from portal.forms import input_required, max_len, optional, required
from portal.people.idcard import normalize_id_number
from portal.people.models import EDUCATION_CHOICES, GENDERS, Person
from portal.people.rules import gender_problem, normalize_mobile
from portal.renewals.rules import RenewalAction
from portal.timeutil import local_today

# --- the holder's renewal application (Attachment 3) -------------------------------------------

#: The work summary has no fixed upper bound in the notice; this one keeps a page (and the
#: PDF) reasonable: about ten printed pages.
MAX_RENEWAL_SUMMARY = 20000
#: 专业工龄 in years.
MAX_SPECIALTY_YEARS = 60

_LANDLINE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?")
MSG_PHONE = "请填写11位手机号码，或带区号的固定电话（如 028-86136211）"


def normalize_phone(text: str | None) -> str:
    """联系电话 of Attachment 3: a mobile number (:func:`portal.people.rules.normalize_mobile`)
    or a landline with its area code (``028-86136211``, an extension after a second hyphen);
    "" when empty, else ValueError with :data:`MSG_PHONE`."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return ""
    try:
        return normalize_mobile(raw)
    except ValueError:
        pass
    compact = re.sub(r"[\s()（）]+", "", raw).replace("—", "-").replace("－", "-")
    if _LANDLINE.fullmatch(compact):
        return compact
    raise ValueError(MSG_PHONE)


class RenewalForm(FlaskForm):
    """The Attachment 3 data the holder fills in (prefilled from the profile), the region and
    申报单位, the work summary and the two declarations of notice §三(一). The card's own
    fields (number, occupation, level, validity) are not on the form: they come from the card."""

    name = StringField("姓名", validators=[required("请填写姓名"), max_len(40)])
    gender = Select("性别", choices=choices([("", "请选择")] + [(g, g) for g in GENDERS]),
                    validators=[required("请选择性别")])
    education = Select("文化程度", validators=[optional()])
    employer = StringField("工作单位", validators=[required("请填写工作单位"), max_len(100)])
    id_number = StringField("身份证号码", validators=[required("请填写身份证号码")],
                            render_kw={"autocomplete": "off", "spellcheck": "false",
                                       "maxlength": 24})
    phone = StringField("联系电话", validators=[required("请填写联系电话")],
                        render_kw={"type": "tel", "autocomplete": "off", "maxlength": 24})
    qualification = StringField("职业资格等级或技术职称",
                                validators=[required("请填写职业资格等级或技术职称"), max_len(60)],
                                render_kw={"placeholder": "如：电工 一级/高级技师；高级工程师"})
    specialty = StringField("从事专业", validators=[required("请填写从事专业"), max_len(60)])
    specialty_years = IntField("专业工龄（年）", validators=[optional()],
                               render_kw={"inputmode": "numeric"})
    region_id = Select("申报所属地", coerce=int_or_none, validators=[required("请选择申报所属地")])
    unit_id = Select("申报单位", coerce=int_or_none, validators=[required("请选择申报单位")])
    work_summary = TextAreaField(
        "考评工作总结或心得体会", validators=[max_len(MAX_RENEWAL_SUMMARY)],
        render_kw={"rows": 14, "maxlength": MAX_RENEWAL_SUMMARY})
    declares_health = BooleanField("本人身体健康，能够胜任考评工作")
    declares_no_incident = BooleanField("本人具有良好职业道德，无考评事故经历")

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        values = list(EDUCATION_CHOICES)
        if self.education.data and self.education.data not in values:
            values.append(self.education.data)  # imported wording stays selectable
        self.education.choices = choices([("", "（未填写）")] + [(v, v) for v in values])
        regions = qualification_queries.region_choices(person)
        self.region_id.choices = choices(
            (r.id, "四川省（省直申报）" if r.is_province else r.name) for r in regions)
        if self.region_id.data is None and regions:
            self.region_id.data = regions[0].id
        region = db.session.get(Region, self.region_id.data) if self.region_id.data else None
        #: Whether the chosen region is 四川省 (a provincial-direct renewal).
        self.provincial = bool(region and region.is_province)
        self.unit_id.choices = unit_choices(region)

    def validate_id_number(self, field):
        try:
            field.data = normalize_id_number(field.data or "", today=local_today())
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_gender(self, field):
        try:
            number = normalize_id_number(self.id_number.data or "", today=local_today())
        except ValueError:
            return  # the ID number's own error is shown next to that field
        if problem := gender_problem(field.data, number):
            raise ValidationError(problem)

    def validate_phone(self, field):
        try:
            field.data = normalize_phone(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_specialty_years(self, field):
        if field.data is not None and not 0 <= field.data <= MAX_SPECIALTY_YEARS:
            raise ValidationError(f"专业工龄应为 0–{MAX_SPECIALTY_YEARS} 年")

    @property
    def values(self) -> dict:
        """The cleaned values, keyed like the application's columns."""
        from portal.renewals.apply_operations import FIELDS

        values = {name: getattr(self, name).data for name in FIELDS}
        values["education"] = values["education"] or ""
        values["work_summary"] = (values["work_summary"] or "").replace("\r\n", "\n")
        return values


class RenewalUploadForm(FlaskForm):
    """One material; built with ``prefix=kind.key`` so each upload has its own field ids."""

    file = FileField("选择文件", validators=[FileRequired(message="请选择要上传的文件")])


class SummaryCountForm(FlaskForm):
    """The live character count of the work summary (an htmx POST: the text is too long for
    a query string; CSRF like every POST)."""

    work_summary = TextAreaField(validators=[max_len(MAX_RENEWAL_SUMMARY)])


class CreateRenewalForm(FlaskForm):
    """申请复核换证 on a card: the region and unit, when the holder chooses other than the
    defaults (the person's city and registered unit)."""

    region_id = Select("申报所属地", coerce=int_or_none, validators=[optional()])
    unit_id = Select("申报单位", coerce=int_or_none, validators=[optional()])

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        regions = qualification_queries.region_choices(person)
        self.region_id.choices = choices(
            (r.id, "四川省（省直申报）" if r.is_province else r.name) for r in regions)
        if self.region_id.data is None and regions:
            self.region_id.data = person.region_id if any(
                r.id == person.region_id for r in regions) else regions[0].id
        region = db.session.get(Region, self.region_id.data) if self.region_id.data else None
        self.provincial = bool(region and region.is_province)
        self.unit_id.choices = unit_choices(region)


class HolderMoveForm(FlaskForm):
    """The holder's move on their application: submit or withdraw, with the stage the page
    showed (a move on a stage the holder did not see is refused)."""

    action = Select(choices=choices([(RenewalAction.SUBMIT.value, RenewalAction.SUBMIT.label),
                                     (RenewalAction.WITHDRAW.value,
                                      RenewalAction.WITHDRAW.label)]),
                    validators=[required("请选择操作")])
    stage = HiddenField()


# --- the offices' review (unit opinion, initial review, province) ------------------------------

#: The longest comment an office may write with a move (the unit's opinion is shorter: it
#: prints on Attachment 3, :data:`portal.renewals.review.UNIT_OPINION_MAX`).
REVIEW_COMMENT_MAX = 1000


class RenewalActForm(FlaskForm):
    """One move on a renewal application from the review page. The buttons post ``action``;
    ``stage`` is the stage the page showed (a move from a stale page is refused)."""

    # Every action is accepted so that a move made elsewhere (submitting, sending with the
    # summary table) is refused with where to make it, not as an unknown choice.
    action = Select("操作", choices=choices((a.value, a.label) for a in RenewalAction),
                    validators=[required("请选择操作")])
    stage = HiddenField()
    reasons = MultiCheckboxField("常用理由（可多选）")
    comment = TextAreaField("意见或理由", validators=[optional(), max_len(REVIEW_COMMENT_MAX)],
                            render_kw={"rows": 3})

    def __init__(self, *args, **kwargs):
        from portal.renewals.review import RENEWAL_CANNED_REASONS

        super().__init__(*args, **kwargs)
        self.reasons.choices = choices((r, r) for r in RENEWAL_CANNED_REASONS)


class StampedFormForm(FlaskForm):
    """The unit's scan of the Attachment 3 it stamped."""

    stamped_form = FileField("加盖单位公章的复核换证申报表（附件3）扫描件（PDF、JPG 或 PNG）",
                             validators=[FileRequired(message="请选择扫描件文件")])


class FindingForm(FlaskForm):
    """The initial reviewer's decision on one finding of the term report: 确认存在 or 不予认定
    (the operation asks for the reason of an override)."""

    decision = Select("核实结论", choices=choices([("confirmed", "确认存在"),
                                                  ("overridden", "不予认定")]),
                      validators=[required("请选择“确认存在”或“不予认定”")])
    reason = TextAreaField("理由", validators=[optional(), max_len(300)],
                           render_kw={"rows": 2, "maxlength": 300})


# --- the province's renewal plan (复核换证计划) ----------------------------------------------------

class RenewalPlanForm(FlaskForm):
    """A new renewal plan: the year (its dates follow from it, notice §三(二)), a title, the
    expiry cut-off (empty: the close date) and notes."""

    year = IntField("年度", validators=[required("请填写年度"),
                                       NumberRange(min=2021, max=2100, message="年度不正确")])
    title = StringField("名称", validators=[optional(), max_len(100)])
    expiry_cutoff = CnDateField("证卡有效期截止日期", validators=[optional()])
    notes = TextAreaField("说明", validators=[optional(), max_len(2000)],
                          render_kw={"rows": 4})


class RenewalPlanEditForm(FlaskForm):
    """Changing a plan: everything before publication, only the cut-off after."""

    title = StringField("名称", validators=[optional(), max_len(100)])
    expiry_cutoff = CnDateField("证卡有效期截止日期",
                                validators=[required("请填写证卡有效期截止日期")])
    notes = TextAreaField("说明", validators=[optional(), max_len(2000)],
                          render_kw={"rows": 4})


class RenewalPlanPublishForm(FlaskForm):
    """Publishing a plan carries only the CSRF token."""


class RenewalPlanCloseForm(FlaskForm):
    """Closing a plan: the number of cards the province saw on the confirmation page (the
    close is refused if the list changed since) and an explicit confirmation."""

    expected = IntField(validators=[input_required("请从确认页面提交")])
    confirm = BooleanField("我已核对名单，确认注销以上证卡，取消其考评资格",
                           validators=[required("请勾选确认")])
