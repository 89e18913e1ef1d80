"""Occupation catalogue form (admin)."""

import re

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField
from wtforms.validators import ValidationError

from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.forms import max_len, required

CODE_RE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}(-\d{2})?$")


class OccupationForm(FlaskForm):
    code = StringField("职业编码", validators=[required("请填写职业编码"), max_len(20)])
    name = StringField("职业（工种）名称", validators=[required("请填写职业名称"), max_len(60)])
    active = BooleanField("启用", default=True)

    def __init__(self, *args, current: Occupation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._current = current

    def _unique(self, column, value, message):
        stmt = select(Occupation.id).where(column == value.strip())
        if self._current is not None:
            stmt = stmt.where(Occupation.id != self._current.id)
        if db.session.scalar(stmt) is not None:
            raise ValidationError(message)

    def validate_code(self, field):
        if not CODE_RE.match(field.data.strip()):
            raise ValidationError("职业编码格式如 6-31-01-03（国家职业分类大典编码）")
        self._unique(Occupation.code, field.data, "该职业编码已存在")

    def validate_name(self, field):
        self._unique(Occupation.name, field.data, "该职业名称已存在")
