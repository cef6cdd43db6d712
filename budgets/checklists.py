"""Each sign-off role's short checklist (SPEC 4): finance checks compliance, marketing reasonableness,
tech feasibility. Codes are what the API's ``checklist`` object uses."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import SignoffRole

CHECKLISTS = {
    SignoffRole.FINANCE: [
        ("within_cap", _("The lines stay within the total cap.")),
        ("reserve_sufficient", _("The risk reserve meets the required percentage.")),
        ("categories_compliant", _("Every category and amount complies with finance policy.")),
    ],
    SignoffRole.MARKETING: [
        ("serves_objective", _("The spending serves the campaign's objective and KPIs.")),
        ("channel_mix_reasonable", _("The channel mix and amounts are reasonable for the expected reach.")),
        ("benefits_reasonable", _("Benefit costs are in line with expected redemption.")),
    ],
    SignoffRole.TECH: [
        ("scope_feasible", _("The technical scope can be built as planned.")),
        ("capacity_available", _("Servers and people are available for the peak.")),
        ("timeline_feasible", _("Development fits the campaign timeline.")),
    ],
}


def checklist_codes(role: str) -> list[str]:
    return [code for code, _label in CHECKLISTS[SignoffRole(role)]]
