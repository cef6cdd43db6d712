"""Template filters used across the apps: Bootstrap widgets, ISO dates, amounts in yuan (full and short)."""

from __future__ import annotations

import datetime as dt

from django import forms, template

register = template.Library()


@register.filter
def bootstrap_widget(field: forms.BoundField) -> str:
    """Render a form field's own widget (keeping Django's attributes: maxlength, autofocus, autocomplete …)
    with Bootstrap's classes and, when it has errors, ``is-invalid`` and ``aria-describedby``."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {
        "class": " ".join(filter(None, [widget.attrs.get("class", ""), css, "is-invalid" if field.errors else ""]))
    }
    if field.errors:
        attrs["aria-describedby"] = f"{field.id_for_label}-error"
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def iso_date(value: object) -> object:
    """An ISO date string (as stored in JSON, e.g. the live agenda) as a date, for the ``date`` filter to show in
    the reader's format; anything else unchanged."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


@register.filter
def cny(value: object) -> str:
    """``28000000`` → ``¥28,000,000.00`` (grouped as the reader's language groups numbers)."""
    from core.formatting import cny_full

    return cny_full(value)


@register.filter
def cny_short(value: object) -> str:
    """``28000000`` → ``2,800万元`` in Chinese, ``¥28M`` in English: for cards and other tight places."""
    from core.formatting import cny_short as short

    return short(value)


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    """Markdown written by people (descriptions, comments) as sanitised HTML (core.markdown)."""
    from core.markdown import render_markdown

    return render_markdown(text)
