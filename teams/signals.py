"""API tokens end with the credentials they were issued for (SPEC 10.1): a password change — through any path
(the password form, the admin, ``set_password`` in a script) — and deactivating a user revoke all of that user's
tokens. Watched at the model, so no path can forget it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from knox.models import AuthToken

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="teams.tokens.pre_save")
def _note_credential_change(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values_list("password", "is_active").first()
    if before is None:
        return
    password, active = before
    instance._revoke_api_tokens = password != instance.password or (active and not instance.is_active)


@receiver(post_save, sender=User, dispatch_uid="teams.tokens.post_save")
def _revoke_tokens(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if getattr(instance, "_revoke_api_tokens", False):
        AuthToken.objects.filter(user=instance).delete()
        instance._revoke_api_tokens = False
