"""Forms of the card pages: issue a card by hand, record its collection, revoke it, lift a
ban. Chinese messages; dates are native date pickers (:class:`portal.fields.CnDateField`)."""

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField

from portal.cards.models import CARD_LEVELS, CARD_ORIGINS
from portal.cards.operations import HAND_ORIGINS
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.fields import CnDateField, IntField, Select, choices, int_or_none
from portal.forms import input_required, max_len, required


class IssueForm(FlaskForm):
    """The province issues a card: a person found by the search, occupation, level, date."""

    person_id = IntField("持证人", validators=[input_required("请先搜索并选择持证人")])
    occupation_id = Select("职业（工种）", coerce=int_or_none,
                           validators=[required("请选择职业（工种）")])
    level = Select("级别", choices=choices((lv, lv) for lv in CARD_LEVELS))
    origin = Select("发证依据", choices=choices((o, CARD_ORIGINS[o]) for o in HAND_ORIGINS))
    issued_on = CnDateField("发证日期", validators=[required("请选择发证日期")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = db.session.scalars(
            select(Occupation).where(Occupation.active).order_by(Occupation.code))
        self.occupation_id.choices = choices(
            [("", "请选择")] + [(o.id, f"{o.name}（{o.code}）") for o in active])


class CollectForm(FlaskForm):
    collected_on = CnDateField("领取日期", validators=[required("请选择领取日期")])


class RevokeForm(FlaskForm):
    revoked_on = CnDateField("注销日期", validators=[required("请选择注销日期")])
    reason = TextAreaField("注销理由", validators=[required("请填写注销理由"), max_len(200)],
                           render_kw={"rows": 2, "placeholder": "如：复核换证复审不合格"})


class LiftBanForm(FlaskForm):
    reason = TextAreaField("解除理由", validators=[required("请填写解除理由"), max_len(300)],
                           render_kw={"rows": 2,
                                      "placeholder": "如：经核实第二张证卡已于期限内发放，系登记遗漏"})
