from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        import core.lookups  # noqa: F401  (registers field__any)
        from core.messages import autodiscover

        autodiscover()  # every app's notification messages, so stored notifications can be rendered anywhere
