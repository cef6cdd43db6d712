from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun
        from django.core.signals import request_finished, request_started
        from django.db import connections
        from django.db.backends.signals import connection_created
        from django.test.signals import setting_changed

        import core.lookups  # noqa: F401  (registers field__any)
        from core import pagecache
        from core.messages import autodiscover

        # Every connection reports what it writes to the page cache (core/pagecache.py), in every process.
        connection_created.connect(pagecache.install, dispatch_uid="pagecache-install")
        for connection in connections.all(initialized_only=True):
            pagecache.install(connection=connection)
        for signal in (request_started, request_finished, task_prerun, task_postrun):
            signal.connect(pagecache.reset_scope, dispatch_uid=f"pagecache-scope-{id(signal)}", weak=False)
        setting_changed.connect(pagecache.settings_changed, dispatch_uid="pagecache-settings")

        autodiscover()  # every app's notification messages, so stored notifications can be rendered anywhere
