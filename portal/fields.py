"""Form field helpers shared by every feature (Chinese messages; WTForms' are English)."""

from collections.abc import Iterable

from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice

INVALID_CHOICE = "请从列表中选择"


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices; use "" as the value of an empty choice."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class Select(SelectField):
    """A drop-down whose invalid-choice message is Chinese."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_choice_message", INVALID_CHOICE)
        kwargs.setdefault("invalid_value_message", INVALID_CHOICE)
        super().__init__(label, validators, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (touch friendly)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_choice_message", INVALID_CHOICE)
        kwargs.setdefault("invalid_value_message", INVALID_CHOICE)
        super().__init__(label, validators, **kwargs)


def int_or_none(value):
    """Coerce a select's value: '' → None, else int."""
    if value in (None, "", "None"):
        return None
    return int(value)


class IntField(IntegerField):
    """An integer field whose parse error is Chinese."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = int(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError("请填写整数") from exc


class CnDateField(DateField):
    """A date field (a native date picker on tablets) whose parse error is Chinese."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"type": "date"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("请填写有效日期，如 2026-06-10") from exc
