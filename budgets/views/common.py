"""What several budget pages share: loading lines with their spend, the sign-off panels, and turning a service's
refusal into a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from campaigns.models import Campaign, Channel
from core.errors import ApplicationError

from ..checklists import CHECKLISTS
from ..models import Budget, Signoff, SignoffRole
from ..selectors import signable_roles


def refuse(request: HttpRequest, exc: ApplicationError, fallback: str) -> HttpResponse:
    """A Conflict or NotAllowed (or a rule broken on submit): say so and go back; htmx gets the status and text."""
    texts = [m for msgs in exc.errors.values() for m in msgs] or [str(exc.message)]
    if request.htmx:
        return HttpResponse(" ".join(texts), status=exc.status_code, content_type="text/plain; charset=utf-8")
    for text in texts:
        messages.error(request, text)
    return HttpResponseRedirect(fallback)


def channel_choices(campaign: Campaign) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Channel.objects.filter(campaign=campaign).values_list("pk", "name")]


# --- Sign-off panels ------------------------------------------------------------------------------


@dataclass
class SignPanel:
    """One role the user may sign a budget as, with its checklist (and what they sent, after a refusal)."""

    budget: Budget
    role: str
    label: str
    items: list[dict[str, Any]]
    comment: str = ""
    decision: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def general_errors(self) -> list[str]:
        """Errors that belong to no box on the form (the role, the decision, or the whole request)."""
        return [m for name, msgs in self.errors.items() if name not in ("comment", "checklist") for m in msgs]

    @property
    def form_id(self) -> str:
        return f"sign-{self.budget.pk}-{self.role}"


def sign_panels(
    user: Any,
    budget: Budget,
    signoffs: list[Signoff],
    failed: dict[str, Any] | None = None,
    *,
    eligible: bool | None = None,
) -> list[SignPanel]:
    """``failed`` is the refused attempt to show again: budget, role, ticked items, comment, decision, errors."""
    panels = []
    for role in signable_roles(user, budget, signoffs, eligible=eligible):
        again = failed if failed and failed["budget"] == budget.pk and failed["role"] == role else None
        ticked = set(again["ticked"]) if again else set()
        panels.append(
            SignPanel(
                budget=budget,
                role=role,
                label=str(SignoffRole(role).label),
                items=[
                    {
                        "code": code,
                        "label": label,
                        "checked": code in ticked,
                        "flagged": bool(again and "checklist" in again["errors"] and code not in ticked),
                    }
                    for code, label in CHECKLISTS[SignoffRole(role)]
                ],
                comment=again["comment"] if again else "",
                decision=again["decision"] if again else "",
                errors=again["errors"] if again else {},
            )
        )
    return panels
