"""Forms of the applicant's pages: the application (Attachment 1 data and what is applied
for), one material upload, and the values the live eligibility check reads."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import Form, StringField, TextAreaField
from wtforms.validators import ValidationError

from portal.applications import apply_queries, apply_rules
from portal.applications.models import TrainingPlan
from portal.applications.rules import CARD_LEVELS, QUALIFICATION_LEVELS, TitleLevel
from portal.catalogue.models import Region
from portal.extensions import db
from portal.fields import Select, choices, int_or_none
from portal.forms import max_len, optional, required
from portal.people.models import Person

#: "none held" first, then from the lowest level up, as the notice names them.
QUALIFICATION_CHOICES = [("", "无")] + [(q.value, q.label) for q in QUALIFICATION_LEVELS]
TITLE_CHOICES = [("", "无")] + [(t.value, t.label) for t in TitleLevel]


def _int_choice(value):
    """Coerce a level select: '' → None, a number → int, anything else → a value no choice
    has (so the field reports "请从列表中选择" instead of raising)."""
    try:
        return int_or_none(value)
    except (TypeError, ValueError):
        return -1


class ApplicationForm(FlaskForm):
    """What the applicant applies for (level, occupation, region, recommending unit), what they
    hold (qualification level in the occupation, title level, the certificate) and their work
    summary. Choices come from the plan and the person: the plan's levels and occupations,
    the person's city or 四川省, and the units that fit the chosen region."""

    level = Select("申报级别", validators=[required("请选择申报级别")])
    occupation_id = Select("申报考评职业（工种）", coerce=int_or_none,
                           validators=[required("请选择申报考评职业（工种）")])
    qualification_level = Select("本职业（工种）国家职业资格等级", coerce=_int_choice,
                                 choices=choices(QUALIFICATION_CHOICES),
                                 validators=[optional()])
    title_level = Select("专业技术职称等级", coerce=_int_choice, choices=choices(TITLE_CHOICES),
                         validators=[optional()])
    qualification_text = StringField(
        "证书名称及编号", validators=[max_len(apply_rules.MAX_QUALIFICATION_TEXT)],
        render_kw={"placeholder": "如：电工 一级/高级技师 证书编号 1234567890"})
    region_id = Select("申报所属地", coerce=int_or_none, validators=[required("请选择申报所属地")])
    unit_id = Select("推荐单位（申报单位）", coerce=int_or_none,
                     validators=[required("请选择推荐单位")])
    work_summary = TextAreaField(
        "工作总结", validators=[required("请填写工作总结"),
                            max_len(apply_rules.MAX_WORK_SUMMARY)],
        render_kw={"rows": 10, "maxlength": apply_rules.MAX_WORK_SUMMARY})

    def __init__(self, *args, plan: TrainingPlan, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = choices([("", "请选择")] + [(x, x) for x in plan.level_list])
        if not self.is_submitted() and not self.level.data and len(plan.level_list) == 1:
            self.level.data = plan.level_list[0]
        self.occupation_id.choices = choices(
            [("", "请选择")] + [(o.id, f"{o.name}（{o.code}）") for o in plan.occupations])
        regions = apply_queries.region_choices(person)
        self.region_id.choices = choices(
            (r.id, "四川省（省直申报）" if r.is_province else r.name) for r in regions)
        if self.region_id.data is None and regions:
            self.region_id.data = regions[0].id
        region = db.session.get(Region, self.region_id.data) if self.region_id.data else None
        #: Whether the chosen region is 四川省 (a provincial-direct application).
        self.provincial = bool(region and region.is_province)
        self.unit_id.choices = unit_choices(region)

    def validate_qualification_text(self, field):
        held = self.qualification_level.data or self.title_level.data
        if held and not (field.data or "").strip():
            raise ValidationError("请填写所持证书的名称及编号")

    def eligibility_values(self, plan: TrainingPlan) -> dict:
        """What the eligibility panel is computed from (see :func:`eligibility_values`)."""
        return eligibility_values(plan, self.level.data, self.occupation_id.data,
                                  self.qualification_level.data, self.title_level.data)

    @property
    def values(self) -> dict:
        """The cleaned values, keyed like the application's columns."""
        return {name: getattr(self, name).data for name in (
            "level", "occupation_id", "region_id", "unit_id", "qualification_level",
            "title_level", "qualification_text", "work_summary")}


def unit_choices(region: Region | None):
    """The recommending units for a region, as select choices."""
    units = apply_queries.units_for(region)
    if region is not None and region.is_province:
        empty = "请选择省直备案评价机构" if units else "（暂无省直备案评价机构）"
    else:
        empty = "请选择" if units else "（本市暂无登记的推荐单位）"
    return choices([("", empty)] + [(u.id, u.name) for u in units])


class UploadForm(FlaskForm):
    """One material; built with ``prefix=kind.key`` so each upload on the page has its own
    field ids."""

    file = FileField("选择文件", validators=[FileRequired(message="请选择要上传的文件")])


class EligibilityQuery(Form):
    """The values the live eligibility panel is computed from (an htmx GET; no CSRF because
    it changes nothing). Unknown values read as "not chosen"."""

    level = Select(choices=choices([("", "")] + [(x, x) for x in CARD_LEVELS]))
    occupation_id = Select(coerce=_int_choice)
    qualification_level = Select(coerce=_int_choice, choices=choices(QUALIFICATION_CHOICES))
    title_level = Select(coerce=_int_choice, choices=choices(TITLE_CHOICES))

    def cleaned(self, plan: TrainingPlan) -> dict:
        """The values, with anything outside the plan or the lists dropped to None."""
        return eligibility_values(plan, self.level.data, self.occupation_id.data,
                                  self.qualification_level.data, self.title_level.data)


def eligibility_values(plan: TrainingPlan, level, occupation_id, qualification_level,
                       title_level) -> dict:
    """The arguments of the eligibility check from values a form holds, each dropped to None
    when it is not one the plan or the lists offer (a form shown again with errors may hold
    anything)."""
    def ok(value, allowed):
        return value if value in allowed else None

    return {
        "level": ok(level, plan.level_list),
        "occupation_id": ok(occupation_id, {o.id for o in plan.occupations}),
        "qualification_level": ok(qualification_level, {q.value for q in QUALIFICATION_LEVELS}),
        "title_level": ok(title_level, {t.value for t in TitleLevel}),
    }
