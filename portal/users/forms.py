"""Forms for creating and editing users."""

import re

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import ValidationError

from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.rules import password_problems
from portal.catalogue.models import Region
from portal.extensions import db
from portal.fields import MultiCheckboxField, Select, choices, int_or_none
from portal.forms import max_len, optional, required
from portal.orgs.models import Organisation

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class UserForm(FlaskForm):
    display_name = StringField("姓名/显示名", validators=[required("请填写姓名"), max_len(40)])
    phone = StringField("联系电话", validators=[optional(), max_len(20)])
    roles = MultiCheckboxField("角色", choices=choices((r.value, r.label) for r in Role))
    region_id = Select("所属地区", coerce=int_or_none, validators=[optional()])
    organisation_id = Select("所属机构", coerce=int_or_none, validators=[optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regions = db.session.scalars(select(Region).order_by(Region.sort_order)).all()
        self.region_id.choices = choices([("", "（无）")] + [(r.id, r.name) for r in regions])
        orgs = db.session.scalars(
            select(Organisation).where(Organisation.active).order_by(Organisation.name)
        ).all()
        self.organisation_id.choices = choices([("", "（无）")] + [(o.id, o.name) for o in orgs])

    def validate_phone(self, field):
        if field.data and not PHONE_RE.match(field.data.strip()):
            raise ValidationError("请填写11位手机号码或带区号的固定电话，如 028-86136211")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        from portal.auth.roles import scope_problems

        region = db.session.get(Region, self.region_id.data) if self.region_id.data else None
        problems = scope_problems(
            set(self.roles.data or []),
            None if region is None else not region.is_province,
            self.organisation_id.data is not None,
        )
        fields = {"roles": self.roles, "region": self.region_id,
                  "organisation": self.organisation_id}
        for key, message in problems.items():
            fields[key].errors = [*fields[key].errors, message]
        return ok and not problems


class NewUserForm(UserForm):
    username = StringField("用户名", validators=[required("请填写用户名"), max_len(40)])
    password = PasswordField("初始密码", validators=[required("请设置初始密码")])

    def validate_username(self, field):
        name = (field.data or "").strip()
        if not USERNAME_RE.match(name):
            raise ValidationError("用户名为 3–40 位字母、数字、下划线、点或连字符")
        if db.session.scalar(select(User.id).where(User.username == name)) is not None:
            raise ValidationError("该用户名已被使用")

    def validate_password(self, field):
        problems = password_problems(field.data or "", username=self.username.data or "")
        if problems:
            raise ValidationError("；".join(problems))


class ResetPasswordForm(FlaskForm):
    password = PasswordField("临时密码", validators=[required("请设置临时密码")])

    def validate_password(self, field):
        problems = password_problems(field.data or "")
        if problems:
            raise ValidationError("；".join(problems))
