"""The card check's form: a GET form (see :mod:`portal.cardcheck.routes`), so no CSRF token."""

from flask_wtf import FlaskForm
from wtforms import StringField


class CheckForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing but a rate-limit counter

    number = StringField("证卡编号", render_kw={"autocomplete": "off", "spellcheck": "false",
                                              "placeholder": "如 川考评-2026-000123"})
