"""The form renderer: Django's, with ``<select>``, ``<input>`` and ``<textarea>`` drawn in Python.

Django draws a widget through two or three templates, a select with one ``{% include %}`` per option: a filter
form with a list of a hundred campaigns and fifty people spent more time drawing its options than the rest of the
page, and the task list's inline row forms spent over half the page's time in widget templates (issue 20's
profiles). :class:`ConcordFormRenderer` writes exactly the HTML Django's own widget templates write
(``select.html`` with ``select_option.html``, ``input.html`` and the input types that include it,
``textarea.html``, each with ``attrs.html``: the same characters, escaping and whitespace;
``tests/core/test_renderers.py`` compares them) and leaves every other template to Django. An app that
overrides one of these widget templates would be bypassed: none does; override the widget's ``template_name``
instead.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
SELECT = WIDGETS + "select.html"
OPTION = WIDGETS + "select_option.html"
TEXTAREA = WIDGETS + "textarea.html"
# Django's input types whose template is ``{% include "django/forms/widgets/input.html" %}`` and nothing else.
INPUTS = frozenset(
    WIDGETS + f"{kind}.html"
    for kind in ("input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time")
    + ("search", "tel", "color", "checkbox")
)


def _stringformat(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: ``%s``, still safe when the value was, then escaped."""
    text = "%s" % (value,)  # noqa: UP031  (the filter's own formatting)
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308  (was safe)


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: `` name="value"`` for each attribute, the bare name for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(
            f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_stringformat(value)}"'
        )
    return "".join(parts)


def render_select(widget: dict[str, Any]) -> str:
    """``select.html`` for the widget's context (``widget`` as ``Widget.get_context`` builds it), stripped as the
    renderer strips a template's output."""
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(localize(group_name))}">')
        for option in group_choices:
            if option.get("template_name") != OPTION:  # a widget with its own option template: Django draws it
                return ""
            label = conditional_escape(localize(option["label"]))
            out.append(
                f'\n  <option value="{_stringformat(option["value"])}"{_attrs(option["attrs"])}>{label}</option>\n'
            )  # the option template ends with a newline
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def render_input(widget: dict[str, Any]) -> str:
    """``input.html``: the value attribute unless the value is None."""
    value = "" if widget["value"] is None else f' value="{_stringformat(widget["value"])}"'
    return f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def render_textarea(widget: dict[str, Any]) -> str:
    """``textarea.html``: a newline after the opening tag, then the value when it is truthy."""
    value = conditional_escape(localize(widget["value"])) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


class ConcordFormRenderer(DjangoTemplates):
    """Django's default renderer, except that Django's own select, input and textarea templates are drawn here."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name in INPUTS:
            return mark_safe(render_input(context["widget"]))  # noqa: S308  (every value is escaped)
        if template_name == TEXTAREA:
            return mark_safe(render_textarea(context["widget"]))  # noqa: S308  (every value is escaped)
        if template_name == SELECT:
            html = render_select(context["widget"])
            if html:
                return mark_safe(html)  # noqa: S308  (every value above is escaped)
        return super().render(template_name, context, request=request)
