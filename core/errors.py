"""Domain errors. Services raise these; the API and HTML layers translate them.

* :class:`ApplicationError` (400) — the request is understood but breaks a rule;
  ``errors`` may map field names to messages for field-level display.
* :class:`NotAllowed` (403) — the user may see the thing but not do this.
* :class:`Conflict` (409) — the thing's current state forbids this (a duplicate
  sign-off, editing a locked budget, an illegal status move).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status_code = 400
    default_message = _("The request could not be completed.")

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Mapping[str, str | Sequence[str]] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.errors = {
            field: [str(m) for m in ([msgs] if isinstance(msgs, str) or not isinstance(msgs, Sequence) else msgs)]
            for field, msgs in (errors or {}).items()
        }
        super().__init__(str(self.message))

    def as_body(self) -> dict[str, object]:
        """The SPEC 9 error body: field errors when there are any, else ``detail``."""
        if self.errors:
            return dict(self.errors)
        return {"detail": str(self.message)}


class NotAllowed(ApplicationError):
    status_code = 403
    default_message = _("You do not have permission to do this.")


class Conflict(ApplicationError):
    status_code = 409
    default_message = _("This cannot be done in the object's current state.")
