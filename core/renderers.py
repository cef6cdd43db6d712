"""The form renderer: Django's, with ``<select>`` drawn in Python.

Django draws a select through three templates, one ``{% include %}`` per option: a filter form with a list of a
hundred campaigns and fifty people spent more time drawing its options than the rest of the page (issue 20's
profile of the risk register). :class:`ConcordFormRenderer` writes exactly the HTML those templates write
(``django/forms/widgets/select.html``, ``select_option.html``, ``attrs.html``: the same characters, escaping and
whitespace; ``tests/core/test_renderers.py`` compares them) and leaves every other template to Django.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


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


class ConcordFormRenderer(DjangoTemplates):
    """Django's default renderer, except that selects with Django's own templates are drawn by :func:`render_select`."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            html = render_select(context["widget"])
            if html:
                return mark_safe(html)  # noqa: S308  (every value above is escaped)
        return super().render(template_name, context, request=request)
