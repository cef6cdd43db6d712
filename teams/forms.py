from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.roles import TeamRole

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "email", "language", "time_zone"]
        help_texts = {"time_zone": _("An IANA time zone such as Asia/Shanghai.")}


class MembershipForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices, initial=TeamRole.MEMBER)

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No active user has the username “%(username)s”."), params={"username": username}
            )
        return user
