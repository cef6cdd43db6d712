"""Team forms: the profile, membership changes, and a team chat channel."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.roles import TeamRole

from .models import ChatKind, User


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


class ChatChannelForm(forms.Form):
    """A team chat channel (SPEC 10.4); the service checks the URL's host and the events."""

    kind = forms.ChoiceField(label=_("Platform"), choices=ChatKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False, help_text=_("For example 女神节项目群."))
    webhook_url = forms.CharField(
        label=_("Webhook URL"),
        max_length=500,
        help_text=_("In the group chat: settings → group robots → add a custom robot, then copy its webhook URL."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk and Feishu: the robot's signing secret (加签), if the robot uses one."),
    )
    verbs = forms.MultipleChoiceField(
        label=_("Events"),
        choices=(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
    )
    language = forms.ChoiceField(label=_("Language of the messages"), choices=settings.LANGUAGES, initial="zh-hans")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from core.models import NotificationVerb

        from .chat import CHAT_VERBS

        self.fields["verbs"].choices = [(verb, NotificationVerb(verb).label) for verb in CHAT_VERBS]
        self.fields["verbs"].initial = list(CHAT_VERBS)
