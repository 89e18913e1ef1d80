"""Shared form pieces with Chinese messages (WTForms' defaults are English)."""

from wtforms.validators import DataRequired, InputRequired, Length, Optional


def required(message: str = "请填写此项"):
    return DataRequired(message=message)


def max_len(n: int):
    return Length(max=n, message=f"不能超过 {n} 个字符")


def optional():
    return Optional()


def input_required(message: str = "请填写此项"):
    """Like :func:`required` but accepts falsy values such as 0."""
    return InputRequired(message=message)
