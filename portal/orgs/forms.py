"""Organisation form (admin)."""

import re

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField
from wtforms.validators import NumberRange, ValidationError

from portal.catalogue.models import Region
from portal.extensions import db
from portal.fields import IntField, Select, choices
from portal.forms import input_required, max_len, optional, required
from portal.orgs.models import ORG_TYPE_LABELS, Organisation

CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class OrganisationForm(FlaskForm):
    name = StringField("机构名称", validators=[required("请填写机构名称"), max_len(100)])
    org_type = Select("机构类型", choices=choices((t.value, label) for t, label in ORG_TYPE_LABELS.items()))
    region_id = Select("所在市（州）", coerce=int)
    provincial_direct = BooleanField("省直备案评价机构（直接向省职鉴中心申报）")
    training_quota = IntField(
        "培训名额",
        default=0,
        validators=[
            input_required("请填写培训名额"),
            NumberRange(min=0, max=9999, message="培训名额应为 0–9999 的整数"),
        ],
    )
    credit_code = StringField("统一社会信用代码", validators=[optional(), max_len(18)])
    contact_phone = StringField("联系电话", validators=[optional(), max_len(20)])
    address = StringField("地址", validators=[optional(), max_len(200)])
    active = BooleanField("启用", default=True)

    def __init__(self, *args, current: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._current = current
        regions = db.session.scalars(select(Region).order_by(Region.sort_order)).all()
        self.region_id.choices = choices((r.id, r.name) for r in regions)

    def validate_name(self, field):
        stmt = select(Organisation.id).where(Organisation.name == field.data.strip())
        if self._current is not None:
            stmt = stmt.where(Organisation.id != self._current.id)
        if db.session.scalar(stmt) is not None:
            raise ValidationError("已有同名机构")

    def validate_credit_code(self, field):
        if field.data and not CREDIT_CODE_RE.match(field.data.strip().upper()):
            raise ValidationError("统一社会信用代码应为18位数字或大写字母")
