"""One typed reader for environment variables.

Every setting that comes from the environment goes through :class:`Env`, so a
bad value (``DEBUG=maybe``, ``DATABASE_URL=nonsense``) stops start-up with a
message naming the variable instead of silently becoming a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse


class ImproperlyConfiguredEnv(Exception):
    """Raised when an environment variable holds a value of the wrong shape."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str, default: object) -> str | object:
        value = self.environ.get(name)
        if value is None:
            if default is _MISSING:
                raise ImproperlyConfiguredEnv(f"Environment variable {name} is required but not set.")
            return default
        return value.strip()

    def str(self, name: str, default: object = _MISSING) -> str:
        return self._raw(name, default)  # type: ignore[return-value]

    def bool(self, name: str, default: object = _MISSING) -> bool:
        raw = self._raw(name, default)
        if isinstance(raw, bool):
            return raw
        lowered = str(raw).lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfiguredEnv(
            f"Environment variable {name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
        )

    def int(self, name: str, default: object = _MISSING, *, minimum: int | None = None) -> int:
        raw = self._raw(name, default)
        try:
            value = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ImproperlyConfiguredEnv(f"Environment variable {name}={raw!r} is not an integer.") from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfiguredEnv(f"Environment variable {name}={value} must be at least {minimum}.")
        return value

    def list(self, name: str, default: object = _MISSING) -> list[str]:
        raw = self._raw(name, default)
        if isinstance(raw, list):
            return raw
        return [item.strip() for item in str(raw).split(",") if item.strip()]

    def url(self, name: str, default: object = _MISSING, *, schemes: tuple[str, ...]) -> str:
        raw = self._raw(name, default)
        if raw is None or raw == "":
            # An empty value means "not set", as in `REDIS_URL= make run`.
            return default if default is not _MISSING and raw == "" else raw  # type: ignore[return-value]
        parsed = urlparse(str(raw))
        if parsed.scheme not in schemes:
            raise ImproperlyConfiguredEnv(
                f"Environment variable {name}={raw!r} must be a URL with scheme {' or '.join(schemes)}."
            )
        return str(raw)
