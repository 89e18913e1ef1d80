"""Forms on a person's profile: the photo, and the Attachment 1 data (资料)."""

from collections.abc import Sequence

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import ValidationError

from portal.catalogue.models import Region
from portal.extensions import db
from portal.fields import IntField, Select, choices, int_or_none
from portal.forms import max_len, optional, required
from portal.orgs.models import Organisation
from portal.people import rules
from portal.people.idcard import normalize_id_number, region_code_warning
from portal.people.models import EDUCATION_CHOICES, GENDERS, Person
from portal.timeutil import local_today


class PhotoForm(FlaskForm):
    photo = FileField("照片（JPG 或 PNG，不超过上传大小上限）",
                      validators=[FileRequired(message="请选择照片文件")])


class ProfileForm(FlaskForm):
    """The Attachment 1 fields of one person.

    Built with the fields the user may change (``editable``, names of
    :data:`portal.people.rules.PROFILE_FIELDS`); the others are removed. ``organisations``
    are the units an officer may choose as the registered unit. The ID number is normalised
    here; a region code the code table does not know is a warning (``id_warning``) that the
    user confirms by saving again (``confirmed_id`` carries the number they saw it for).
    Everything is checked once more by :func:`portal.people.operations.update_person`.
    """

    name = StringField("姓名", validators=[required("请填写姓名"), max_len(40)])
    gender = Select("性别", choices=choices([("", "请选择")] + [(g, g) for g in GENDERS]),
                    validators=[required("请选择性别")])
    education = Select("文化程度")
    id_number = StringField("身份证号码", validators=[required("请填写身份证号码")],
                            render_kw={"autocomplete": "off", "spellcheck": "false",
                                       "maxlength": 24})
    employer = StringField("工作单位", validators=[optional(), max_len(100)])
    organisation_id = Select("所属登记单位（决定哪个单位可以查看此人）", coerce=int_or_none)
    title = StringField("专业技术职称", validators=[optional(), max_len(40)])
    position = StringField("职务", validators=[optional(), max_len(40)])
    address = StringField("联系地址", validators=[optional(), max_len(200)])
    mobile = StringField("联系手机", validators=[optional()],
                         render_kw={"type": "tel", "inputmode": "numeric", "autocomplete": "off",
                                    "maxlength": 20})
    region_id = Select("所在城市", coerce=int_or_none, validators=[required("请选择所在城市")])
    years_worked = IntField("工龄（年）", validators=[optional()],
                            render_kw={"inputmode": "numeric"})
    retired = BooleanField("已退休")
    confirmed_id = HiddenField()

    def __init__(self, *args, person: Person | None, editable: tuple[str, ...],
                 organisations: Sequence[Organisation] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._person = person
        self.id_warning: str | None = None
        for name in rules.PROFILE_FIELDS:
            if name not in editable:
                delattr(self, name)
        current = person
        if "education" in self:
            values = list(EDUCATION_CHOICES)
            if current is not None and current.education and current.education not in values:
                values.append(current.education)  # imported wording is kept selectable
            self.education.choices = choices([("", "（未填写）")] + [(v, v) for v in values])
        if "region_id" in self:
            regions = db.session.scalars(select(Region).order_by(Region.sort_order)).all()
            self.region_id.choices = choices(
                [("", "请选择")] + [(r.id, r.name) for r in regions
                                   if not r.is_province
                                   or (current is not None and current.region_id == r.id)])
        if "organisation_id" in self:
            orgs = list(organisations)
            if current is not None and current.organisation is not None \
                    and current.organisation not in orgs:
                orgs.append(current.organisation)
            self.organisation_id.choices = choices(
                [("", "（无：不属于已登记的单位）")] + [(o.id, o.name) for o in orgs])

    def validate_id_number(self, field):
        try:
            field.data = normalize_id_number(field.data or "", today=local_today())
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        unchanged = self._person is not None and self._person.id_number == field.data
        warning = None if unchanged else region_code_warning(field.data)
        if warning:
            self.id_warning = warning

    def validate_mobile(self, field):
        try:
            field.data = rules.normalize_mobile(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_years_worked(self, field):
        if field.data is not None and not 0 <= field.data <= rules.MAX_YEARS_WORKED:
            raise ValidationError(f"工龄应为 0–{rules.MAX_YEARS_WORKED} 年")

    def validate_gender(self, field):
        raw = self.id_number.data if "id_number" in self else (
            self._person.id_number if self._person is not None else "")
        try:
            number = normalize_id_number(raw or "", today=local_today())
        except ValueError:
            return  # the ID number's own error is shown next to that field
        problem = rules.gender_problem(field.data, number)
        if problem:
            raise ValidationError(problem)

    @property
    def needs_confirmation(self) -> bool:
        """A region-code warning the user has not yet confirmed for this very number."""
        return bool(self.id_warning) and self.confirmed_id.data != self.id_number.data

    def changes(self) -> dict[str, object]:
        """The submitted values of the editable fields, for ``update_person``."""
        return {name: self[name].data for name in rules.PROFILE_FIELDS if name in self}

    def apply_errors(self, errors: dict[str, str]) -> None:
        """Show errors from :class:`portal.people.operations.PersonError` next to their
        fields; an error of a field that is not on the form is shown above it."""
        for key, message in errors.items():
            if key in self:
                self[key].errors = [*self[key].errors, message]
            else:
                self.form_errors.append(message)
