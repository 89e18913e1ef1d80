"""The audit trail filter (a GET form: no CSRF needed, kept in the URL)."""

from flask_wtf import FlaskForm
from wtforms import DateField, StringField

from portal.audit.operations import ACTION_LABELS, ENTITY_LABELS
from portal.fields import Select, choices
from portal.forms import optional


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField("操作人用户名", validators=[optional()])
    action = Select("操作", choices=choices([("", "全部"), *ACTION_LABELS.items()]),
                         validators=[optional()])
    entity_type = Select("对象类型", choices=choices([("", "全部"), *ENTITY_LABELS.items()]),
                              validators=[optional()])
    entity_id = StringField("对象编号", validators=[optional()])
    since = DateField("起始日期", validators=[optional()])
    until = DateField("截止日期", validators=[optional()])
