"""The 5×5 matrix's rating names and labels (SPEC 5), shared by the forms, the selectors and the API."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .exposure import OCCURRENCE

PROBABILITY_NAMES = {1: _("Rare"), 2: _("Unlikely"), 3: _("Possible"), 4: _("Likely"), 5: _("Almost certain")}
IMPACT_NAMES = {1: _("Negligible"), 2: _("Minor"), 3: _("Moderate"), 4: _("Major"), 5: _("Severe")}
# The chance each probability rating stands for in the exposure simulation (risks.exposure.OCCURRENCE).
PROBABILITY_LABELS = {
    n: format_lazy("{} · {} ({} %)", n, PROBABILITY_NAMES[n], round(OCCURRENCE[n] * 100)) for n in PROBABILITY_NAMES
}
IMPACT_LABELS = {n: format_lazy("{} · {}", n, IMPACT_NAMES[n]) for n in IMPACT_NAMES}
RATINGS = (1, 2, 3, 4, 5)
