"""The form renderer draws selects in Python: the HTML must be exactly what Django's own templates write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from core.renderers import ConcordFormRenderer
from risks.forms import RiskFilterForm


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "A & B"), ("<b>", '"quoted"'), (3, 3)], initial="a")
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("Veg", [("leek", "Leek")]), ("x", "Loose")]
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two"), ("3", "Three")], initial=["1", "3"])
    lazy = forms.ChoiceField(choices=[("en", gettext_lazy("English")), ("zh", gettext_lazy("Simplified Chinese"))])
    maybe = forms.NullBooleanField()
    typed = forms.TypedChoiceField(choices=[(1, "1"), (2.5, 2.5)], coerce=int, required=False)
    safe = forms.ChoiceField(choices=[(mark_safe("<i>v</i>"), mark_safe("<i>label</i>"))])
    text = forms.CharField(max_length=20, initial='<b>"x" & y</b>')
    empty = forms.CharField(required=False, initial="")
    number = forms.DecimalField(initial=Decimal("1234.50"))
    zero = forms.IntegerField(initial=0, min_value=0)
    day = forms.DateField(initial=dt.date(2027, 3, 8), widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="s3<cr>t")
    hidden = forms.CharField(widget=forms.HiddenInput, initial="h")
    agree = forms.BooleanField(initial=True)
    disagree = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea, initial="line 1\n<line 2> & 3")
    blank_notes = forms.CharField(widget=forms.Textarea, required=False)
    when = forms.DateTimeField(initial=dt.datetime(2027, 3, 8, 9, 30))


def _render(form: forms.Form, renderer) -> dict[str, str]:
    return {name: field.field.widget.render(name, field.value(), attrs={"id": f"id_{name}", "class": "form-select", "data-x": 'a"b', "required": True, "disabled": False}, renderer=renderer) for name, field in form._bound_items()}  # fmt: skip


@pytest.mark.parametrize(
    "data", [None, {"plain": "<b>", "grouped": "leek", "many": ["2"], "maybe": "true", "typed": "1"}]
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_selects_are_drawn_exactly_as_django_draws_them(data, language):
    with override(language):
        ours = _render(Everything(data), ConcordFormRenderer())
        django = _render(Everything(data), DjangoTemplates())
    assert ours == django
    assert "selected" in ours["many"] and "<optgroup" in ours["grouped"] and "&lt;b&gt;" in ours["plain"]


@pytest.mark.django_db
def test_a_real_filter_form_is_unchanged(django_user_model):
    user = django_user_model.objects.create_user("someone", password="x")
    owners = [django_user_model.objects.create_user(f"o{i}", password="x", display_name=f"王<{i}>") for i in range(3)]
    campaigns = [(i, f"C{i} · 活动 & co") for i in range(5)]
    form = RiskFilterForm({"campaign": "2", "owner": str(owners[1].pk)}, campaigns=campaigns, owners=owners)
    form.filters(user)
    for name in form.fields:
        widget = form[name].field.widget
        if isinstance(widget, forms.Select):
            ours = form[name].as_widget()
            form.renderer = DjangoTemplates()
            assert form[name].as_widget() == ours
            form.renderer = ConcordFormRenderer()


def test_the_project_uses_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), ConcordFormRenderer)
