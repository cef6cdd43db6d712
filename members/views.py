"""The membership pages (SPEC 6): the member list with its exports, imports with live progress, analytics per
campaign and channel, tiers and their rule-set history, and benefits.

Thin views: a form parses, members.services decides (the import itself runs in members.imports), members.selectors
counts, a template renders. Names and phones are masked for everyone without ``members.view_pii`` (permissions.can_view_pii); an
unmasked export needs that permission and is written to the audit ledger before it is sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from campaigns.models import Campaign, Channel
from core.errors import ApplicationError
from core.exports import CONTENT_TYPES, export_filename, export_response
from core.formatting import format_cny
from core.permissions import parse_pk, principal_for
from core.web import apply_service_errors

from . import exports
from .forms import (
    AnalyticsFilterForm,
    ImportForm,
    MemberFilterForm,
    PointsForm,
    TierRuleSetForm,
    filter_members,
    sort_members,
)
from .imports import COLUMNS, import_file_check
from .models import REDEMPTION_TARGET, ImportJob, ImportStatus, TierRuleSet
from .permissions import can_import, can_record_points, can_view_pii, member_list_for
from .points import points_record
from .privacy import mask_name, mask_phone
from .selectors import (
    LEDGER_PAGE_SIZE,
    FeeBand,
    MemberAnalytics,
    benefit_list_for,
    benefit_rows,
    import_job_list_for,
    member_analytics,
    member_campaigns,
    member_channels,
    member_detail_for,
    member_points_ledger,
    member_redemptions,
    member_scope,
    member_tier_history,
    near_threshold_members,
    redeemable_benefits,
)
from .services import import_job_create, tier_rule_set_create
from .tiers import current_tiers, rule_set_in_effect

app_name = "members"

PAGE_SIZE = 50
ERRORS_SHOWN = 50
RECENT_IMPORTS = 10
CHANNELS_CHARTED = 12
LIVE_STATUSES = (ImportStatus.PENDING, ImportStatus.RUNNING)
FEE_BAND_LABELS = {
    "free": gettext_lazy("Free"),
    "low": gettext_lazy("Low fee"),
    "near": gettext_lazy("Near threshold"),
    "mid": gettext_lazy("Mid-high"),
    "top": gettext_lazy("Top"),
}


# --- Shared pieces ---------------------------------------------------------------------------------------------


def _pct(share: Decimal | None, places: int = 1) -> str:
    if share is None:
        return "—"
    return number_format((share * 100).quantize(Decimal(1).scaleb(-places)), decimal_pos=places)


def _pct_number(share: Decimal | None) -> float | None:
    return None if share is None else float((share * 100).quantize(Decimal("0.1")))


def _fee_range(band: FeeBand) -> str:
    if band.high is None:
        return f"≥ {format_cny(band.low)}"
    if band.high == band.low:
        return format_cny(band.low)
    return f"{format_cny(band.low)}–{format_cny(band.high)}"


def _signed_points(share: Decimal | None, target: Decimal) -> str:
    """The distance from a target in percentage points, with its sign: "+3.2", "−10.7"."""
    if share is None:
        return "—"
    points = ((share - target) * 100).quantize(Decimal("0.1"))
    text = number_format(abs(points), decimal_pos=1)
    return f"+{text}" if points > 0 else (f"−{text}" if points < 0 else text)


def _choices(user: Any) -> tuple[list[Any], list[Any]]:
    """The campaigns and channels the user may filter by (two queries)."""
    campaigns = list(member_campaigns(user=user).only("id", "code", "name"))
    return campaigns, list(member_channels(campaign_ids=[c.pk for c in campaigns]))


def _is_admin(user: Any) -> bool:
    return principal_for(user).is_admin


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Member list and exports -----------------------------------------------------------------------------------


def _filtered(request: HttpRequest, *, pii: bool) -> tuple[MemberFilterForm, dict[str, Any], Any]:
    campaigns, channels = _choices(request.user)
    form = MemberFilterForm(request.GET or None, campaigns=campaigns, channels=channels, pii=pii)
    filters = form.filters()
    members = filter_members(member_list_for(request.user), filters, pii=pii)
    return form, filters, members


# The list shows a member's source campaign by its code and channel by its name: the rest of those rows stays unread.
DEFERRED_SOURCES = [
    f"source_campaign__{f.name}" for f in Campaign._meta.concrete_fields if f.name not in ("id", "code")
]
DEFERRED_SOURCES += [f"source_channel__{f.name}" for f in Channel._meta.concrete_fields if f.name not in ("id", "name")]


@login_required
@require_GET
@vary_on_headers("HX-Request")
def member_list(request: HttpRequest) -> HttpResponse:
    """Members the user may see, newest first, filtered by tier, campaign, channel and a search."""
    pii = can_view_pii(request.user)
    form, filters, members = _filtered(request, pii=pii)
    shown = sort_members(members, filters.get("sort"))
    shown = shown.select_related("source_campaign", "source_channel", "points_balance")
    shown = shown.defer(*DEFERRED_SOURCES)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    for member in page.object_list:
        member.shown_name = member.name if pii else mask_name(member.name)
        member.shown_phone = member.phone if pii else mask_phone(member.phone)
    query = _query_without_page(request)
    context = {
        "form": form,
        "page": page,
        "pii": pii,
        "filtered": bool(filters),
        "query": query,
        "extra": f"&{query}" if query else "",
        "can_import": can_import(request.user),
        "active_tab": "list",
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
    }
    template = "members/member_list.html#results" if request.htmx else "members/member_list.html"
    return render(request, template, context)


@login_required
@require_GET
def member_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list (every page) as CSV or XLSX: masked, or with ``?pii=1`` unmasked for holders of
    ``members.view_pii`` only (403 otherwise) — and then written to the audit ledger first."""
    if fmt not in CONTENT_TYPES:
        raise Http404(_("Unknown export format."))
    unmasked = request.GET.get("pii") == "1"
    if unmasked and not can_view_pii(request.user):
        raise PermissionDenied(_("Exporting names and phone numbers needs the permission to see them."))
    _form, filters, members = _filtered(request, pii=unmasked)
    members = members.order_by("external_id")
    if unmasked:  # SPEC 10.6: names and phones only of members who consent (members_sheet filters the same way)
        rows = exports.consenting(members).count()
        exports.pii_export_record(actor=request.user, fmt=fmt, filters=filters, rows=rows)
    code = _campaign_code(filters.get("campaign"))
    filename = export_filename("members-pii" if unmasked else "members", fmt, campaign_code=code)
    sheet = exports.members_sheet(members, pii=unmasked, title=_("Members"))
    return export_response(sheet, fmt, filename, stream=True)


def _campaign_code(pk: int | None) -> str | None:
    """The code of the campaign an export is limited to (the filter already checked the user may pick it)."""
    if pk is None:
        return None
    return Campaign.objects.filter(pk=pk).values_list("code", flat=True).first()


# --- Imports ---------------------------------------------------------------------------------------------------


def _recent_imports(user: Any) -> list[ImportJob]:
    return list(import_job_list_for(user=user).filter(uploaded_by_id=user.pk)[:RECENT_IMPORTS])


def _recent_context(user: Any, current: ImportJob | None = None) -> dict[str, Any]:
    """The "Your recent imports" panel: the user's last imports, and whether it asks for itself again (while any
    of them is pending or running; once all are done or failed it is rendered without the trigger)."""
    jobs = _recent_imports(user)
    return {"jobs": jobs, "job": current, "jobs_live": any(item.status in LIVE_STATUSES for item in jobs)}


def _import_page(request: HttpRequest, form: ImportForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "members/import.html",
        {
            "form": form,
            "can_import": can_import(request.user),
            **_recent_context(request.user),
            "columns": COLUMNS,
            "active_tab": "import",
        },
        status=status,
    )


@login_required
@require_GET
def member_import(request: HttpRequest) -> HttpResponse:
    """The upload form (team leads, deputies and admins) and the user's recent imports."""
    return _import_page(request, ImportForm(user=request.user))


@login_required
@require_POST
def member_import_upload(request: HttpRequest) -> HttpResponse:
    if not can_import(request.user):
        raise PermissionDenied(_("Only a team lead or deputy can import members."))
    form = ImportForm(request.POST, request.FILES, user=request.user)
    valid = form.is_valid()
    if not valid and form.cleaned_data.get("file") is not None:
        try:  # the file's own problems are reported too, not only the missing campaign
            import_file_check(form.cleaned_data["file"])
        except ApplicationError as exc:
            apply_service_errors(form, exc)
    if valid:
        try:
            job = import_job_create(
                actor=request.user,
                upload=form.cleaned_data["file"],
                campaign=form.cleaned_data["campaign"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("members:import_detail", args=[job.pk]))
    return _import_page(request, form, status=400)


def _job_for(request: HttpRequest, pk: Any) -> ImportJob:
    job = import_job_list_for(user=request.user).filter(pk=parse_pk(pk)).first()
    if job is None:
        raise Http404(_("Not found."))
    return job


@login_required
@require_GET
@vary_on_headers("HX-Request")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's progress bar, counters and first errors. While it runs, the progress block asks for itself
    again every second (htmx); once done or failed it is rendered without the trigger, so polling stops."""
    job = _job_for(request, pk)
    context = {
        "job": job,
        "live": job.status in LIVE_STATUSES,
        "errors": list(job.row_errors.order_by("row", "id")[:ERRORS_SHOWN]),
        "errors_shown": ERRORS_SHOWN,
        "active_tab": "import",
    }
    if request.htmx:
        return render(request, "members/import_detail.html#progress", context)
    context.update(_recent_context(request.user, job))
    context["can_import"] = can_import(request.user)
    return render(request, "members/import_detail.html", context)


@login_required
@require_GET
def import_recent(request: HttpRequest) -> HttpResponse:
    """The "Your recent imports" panel alone, for its own polling (htmx): each import's status and counts as they
    are now. ``?current=<id>`` marks the import whose page asks."""
    current = None
    try:
        current_pk = parse_pk(request.GET.get("current"))
    except Http404:
        current_pk = None
    if current_pk is not None:
        current = import_job_list_for(user=request.user).filter(pk=current_pk).first()
    return render(request, "members/_import_list.html", _recent_context(request.user, current))


@login_required
@require_GET
def import_errors(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every bad field of the import as CSV: row number (1 = first data row), its line in the sheet (the header
    is line 1), field and message."""
    job = _job_for(request, pk)
    filename = export_filename(f"import-{job.pk}-errors", "csv")
    return export_response(exports.import_errors_sheet(job), "csv", filename, stream=True)


@login_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The refused rows as uploaded (the upload's header and cells) with an ``error`` column, in the upload's own
    format and encoding, to be fixed and uploaded again (SPEC 10.6)."""
    return exports.import_report_response(_job_for(request, pk))


# --- Analytics -------------------------------------------------------------------------------------------------


def _analytics_filters(request: HttpRequest) -> tuple[AnalyticsFilterForm, dict[str, Any], list[Any]]:
    campaigns, channels = _choices(request.user)
    form = AnalyticsFilterForm(request.GET or None, campaigns=campaigns, channels=channels)
    return form, form.filters(), campaigns


def _period_label(stats: MemberAnalytics, start: Any) -> str:
    return start.strftime("%Y-%m") if stats.by == AnalyticsFilterForm.MONTH else start.strftime("%m-%d")


def _chart_data(stats: MemberAnalytics) -> dict[str, Any]:
    """What static/members/analytics.js draws; every number is also in a table on the page."""
    charted = [row for row in stats.channels if row.members][:CHANNELS_CHARTED]
    # Outside the f-string below, so that xgettext (make messages) sees them.
    no_campaign, no_channel = _("No campaign"), _("no channel")
    return {
        "mix": {
            "labels": [str(t.name) for t in stats.mix],
            "actual": [_pct_number(t.share) or 0 for t in stats.mix],
            "target": [_pct_number(t.target) for t in stats.mix],
        },
        "fees": {
            "labels": [f"{FEE_BAND_LABELS[b.key]} · {_fee_range(b)}" for b in stats.fee_bands],
            "counts": [b.count for b in stats.fee_bands],
            "near": [b.near for b in stats.fee_bands],
        },
        "periods": {
            "labels": [_period_label(stats, p.start) for p in stats.periods],
            "joined": [p.joined for p in stats.periods],
            "to_mid_high": [p.to_mid_high for p in stats.periods],
            "to_top": [p.to_top for p in stats.periods],
        },
        "channels": {
            "labels": [
                f"{row.campaign_code} · {row.channel_name}"
                if row.channel_id
                else f"{row.campaign_code or no_campaign} · {no_channel}"
                for row in charted
            ],
            "conversion": [_pct_number(row.conversion) or 0 for row in charted],
            "target": _pct_number(stats.conversion_target),
        },
        "text": {
            "actual": _("Actual %"),
            "target": _("Target %"),
            "members": _("Members"),
            "near": _("Near threshold"),
            "joined": _("New members"),
            "to_mid_high": _("Upgrades to mid-high"),
            "to_top": _("Upgrades to top"),
            "upgrades": _("Upgrades"),
            "conversion": _("Conversion into paid tiers %"),
            "conversion_target": _("Target 25 %"),
        },
    }


@login_required
@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    """Per campaign and channel: members, conversion into paid tiers against 25 %, the tier mix against
    60/25/15, upgrades over time, the near-threshold segment, ARPU and the benefits' redemption rate."""
    form, filters, campaigns = _analytics_filters(request)
    members = member_scope(user=request.user, campaign=filters.get("campaign"), channel=filters.get("channel"))
    benefits = benefit_list_for(user=request.user)
    if filters.get("campaign") is not None:
        benefits = benefits.filter(campaign_id=filters["campaign"])
    stats = member_analytics(members=members, benefits=benefits, by=filters.get("by") or AnalyticsFilterForm.MONTH)
    campaign = next((c for c in campaigns if c.pk == filters.get("campaign")), None)
    scope_query = urlencode({key: filters[key] for key in ("campaign", "channel") if key in filters})
    return render(
        request,
        "members/analytics.html",
        {
            "form": form,
            "stats": stats,
            "campaign": campaign,
            "filtered": bool(filters.get("campaign") or filters.get("channel")),
            "chart": _chart_data(stats),
            "scope_query": scope_query,
            "conversion_pct": _pct(stats.conversion),
            "conversion_meets": stats.conversion is not None and stats.conversion >= stats.conversion_target,
            "conversion_gap": _signed_points(stats.conversion, stats.conversion_target),
            "redemption_meets": stats.benefits.rate is not None and stats.benefits.rate >= stats.benefits.target,
            "conversion_width": min(100, _pct_number(stats.conversion) or 0),
            "redemption_pct": _pct(stats.benefits.rate),
            "points_redemption_pct": _pct(stats.points.redemption_rate),
            "redemption_width": min(100, _pct_number(stats.benefits.rate) or 0),
            "arpu": format_cny(stats.arpu),
            "paying_arpu": format_cny(stats.paying_arpu),
            "near_low": format_cny(stats.near_range[0]),
            "near_high": format_cny(stats.near_range[1]),
            "mix": [
                {
                    "tier": t,
                    "share": _pct(t.share),
                    "target": _pct(t.target, 0),
                    "gap": _signed_points(t.share, t.target),
                }
                for t in stats.mix
            ],
            "channels": [
                {"row": row, "conversion": _pct(row.conversion), "arpu": format_cny(row.arpu)} for row in stats.channels
            ],
            "fee_bands": [
                {"band": b, "label": FEE_BAND_LABELS[b.key], "range": _fee_range(b)} for b in stats.fee_bands
            ],
            "periods": [{"label": _period_label(stats, p.start), "period": p} for p in stats.periods],
            "active_tab": "analytics",
        },
    )


@login_required
@require_GET
def near_threshold_export(request: HttpRequest) -> StreamingHttpResponse:
    """The external ids (no names or phones) of the near-threshold segment in the analytics page's scope."""
    _form, filters, campaigns = _analytics_filters(request)
    members = near_threshold_members(
        member_scope(user=request.user, campaign=filters.get("campaign"), channel=filters.get("channel"))
    )
    campaign = next((c for c in campaigns if c.pk == filters.get("campaign")), None)
    filename = export_filename("near-threshold", "csv", campaign_code=campaign.code if campaign else None)
    return export_response(exports.external_ids_sheet(members), "csv", filename, stream=True)


# --- Tiers -----------------------------------------------------------------------------------------------------


def _tiers_page(request: HttpRequest, form: TierRuleSetForm | None, *, status: int = 200) -> HttpResponse:
    in_effect = rule_set_in_effect()
    tiers = sorted(in_effect.tiers.all(), key=lambda t: t.rank)
    today = timezone.localdate()
    counts = dict(
        member_list_for(request.user).order_by().values_list("tier").annotate(n=Count("pk")).values_list("tier", "n")
    )
    history = list(TierRuleSet.objects.select_related("created_by").prefetch_related("tiers")[:50])
    for rule_set in history:
        rule_set.in_effect = rule_set.pk == in_effect.pk
        rule_set.scheduled = rule_set.effective_from > today
        rule_set.sorted_tiers = sorted(rule_set.tiers.all(), key=lambda t: t.rank)
    return render(
        request,
        "members/tiers.html",
        {
            "rule_set": in_effect,
            "tiers": [{"tier": t, "members": counts.get(t.code, 0)} for t in tiers],
            "history": history,
            "form": form,
            "is_admin": form is not None,
            "active_tab": "tiers",
        },
        status=status,
    )


def _tier_form(request: HttpRequest, data: Any = None) -> TierRuleSetForm | None:
    if not _is_admin(request.user):
        return None
    latest = TierRuleSet.objects.order_by("-effective_from", "-id").first()
    return TierRuleSetForm(data, current=current_tiers(), latest_from=latest.effective_from if latest else None)


@login_required
@require_GET
def tiers(request: HttpRequest) -> HttpResponse:
    """The thresholds in effect, the tiers' names and benefits, every earlier and scheduled rule set; admins
    create a new rule set here."""
    return _tiers_page(request, _tier_form(request))


@login_required
@require_POST
def tier_rule_set_new(request: HttpRequest) -> HttpResponse:
    if not _is_admin(request.user):
        raise PermissionDenied(_("Only an administrator changes the tier thresholds."))
    form = _tier_form(request, request.POST)
    if form.is_valid():
        try:
            rule_set = tier_rule_set_create(
                actor=request.user,
                effective_from=form.cleaned_data["effective_from"],
                thresholds=form.thresholds(),
                names=form.names(),
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            if rule_set.effective_from <= timezone.localdate():
                messages.success(request, _("The new thresholds are in effect; every member's tier was recomputed."))
            else:
                messages.success(
                    request,
                    _("The new thresholds take effect on %(date)s.") % {"date": rule_set.effective_from.isoformat()},
                )
            return HttpResponseRedirect(reverse("members:tiers"))
    return _tiers_page(request, form, status=400)


# --- Benefits --------------------------------------------------------------------------------------------------


@login_required
@require_GET
def benefits(request: HttpRequest) -> HttpResponse:
    """Benefits with their partner brand, tiers, cost and redemption rate against the 30 % target."""
    form, filters, _campaigns = _analytics_filters(request)
    visible = benefit_list_for(user=request.user)
    if filters.get("campaign") is not None:
        visible = visible.filter(campaign_id=filters["campaign"])
    rows = benefit_rows(benefits=visible)
    issued = sum(row.benefit.issued for row in rows)
    redeemed = sum(row.redeemed for row in rows)
    rate = (Decimal(redeemed) / issued) if issued else None
    return render(
        request,
        "members/benefits.html",
        {
            "form": form,
            "filtered": filters.get("campaign") is not None,
            "rows": [
                {
                    "row": row,
                    "rate": _pct(row.rate),
                    "width": min(100, _pct_number(row.rate) or 0),
                    "meets": row.rate is not None and row.rate >= REDEMPTION_TARGET,
                    "cost": format_cny(row.benefit.cost_per_redemption),
                    "spent": format_cny(row.cost),
                }
                for row in rows
            ],
            "issued": issued,
            "redeemed": redeemed,
            "rate": _pct(rate),
            "rate_width": min(100, _pct_number(rate) or 0),
            "meets": rate is not None and rate >= REDEMPTION_TARGET,
            "spent": format_cny(sum((row.cost for row in rows), Decimal("0.00"))),
            "target": _pct(REDEMPTION_TARGET, 0),
            "active_tab": "benefits",
        },
    )


# --- One member (SPEC 10.6) ------------------------------------------------------------------------------------


def _member_or_404(request: HttpRequest, member_pk: Any) -> Any:
    member = member_detail_for(user=request.user, pk=parse_pk(member_pk))
    if member is None:
        raise Http404(_("Not found."))
    return member


def _member_page(request: HttpRequest, member: Any, form: PointsForm | None, *, status: int = 200) -> HttpResponse:
    pii = can_view_pii(request.user)
    ledger = Paginator(member_points_ledger(member=member), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in ledger.object_list:
        entry.magnitude = abs(entry.delta)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "shown_name": member.name if pii else mask_name(member.name),
            "shown_phone": member.phone if pii else mask_phone(member.phone),
            "pii": pii,
            "ledger": ledger,
            "ledger_range": list(ledger.paginator.get_elided_page_range(ledger.number, on_each_side=2, on_ends=1)),
            "tier_history": member_tier_history(member=member),
            "redemptions": member_redemptions(member=member),
            "form": form,
            "active_tab": "list",
        },
        status=status,
    )


def _points_form(request: HttpRequest, member: Any, data: Any = None) -> PointsForm | None:
    """The points form for those who may record points (None for the rest: the page is read-only for them)."""
    if not can_record_points(request.user, member):
        return None
    return PointsForm(data, benefits=redeemable_benefits(member=member))


@login_required
@require_GET
def member_detail(request: HttpRequest, member_pk: int) -> HttpResponse:
    """One member (masked as everywhere): tier and fee, points balance and ledger, tier history with causes,
    source campaign and channel, consent, benefit redemptions; the team's lead, deputy or an admin adds points."""
    member = _member_or_404(request, member_pk)
    return _member_page(request, member, _points_form(request, member))


@login_required
@require_POST
def member_points_add(request: HttpRequest, member_pk: int) -> HttpResponse:
    """Record points earned, redeemed (a benefit too) or adjusted; field errors come back on the member page."""
    member = _member_or_404(request, member_pk)
    form = _points_form(request, member, request.POST)
    if form is None:
        raise PermissionDenied(_("Only the team's lead or deputy (or an admin) records points."))
    if form.is_valid():
        try:
            entry = points_record(
                actor=request.user,
                member=member,
                reason=form.cleaned_data["reason"],
                delta=form.delta(),
                benefit=form.cleaned_data.get("benefit"),
                expires_at=form.cleaned_data.get("expires_at"),
                note=form.cleaned_data.get("note") or "",
            )
        except ApplicationError as exc:
            apply_service_errors(form, _as_form_errors(exc))
        else:
            messages.success(
                request,
                _("%(points)s points recorded; the balance is now %(balance)s.")
                % {"points": f"{entry.delta:+,}", "balance": f"{member.points:,}"},
            )
            return HttpResponseRedirect(reverse("members:detail", args=[member.pk]))
    return _member_page(request, member, form, status=400)


def _as_form_errors(exc: ApplicationError) -> ApplicationError:
    """The service speaks of ``delta``; the form's field is ``points``."""
    if "delta" in exc.errors:
        exc.errors["points"] = exc.errors.pop("delta")
    return exc


urlpatterns = [
    path("", member_list, name="list"),
    path("export.<str:fmt>", member_export, name="export"),
    path("import/", member_import, name="import"),
    path("import/upload/", member_import_upload, name="import_upload"),
    path("imports/<int:pk>/", import_detail, name="import_detail"),
    path("imports/recent/", import_recent, name="import_recent"),
    path("imports/<int:pk>/errors.csv", import_errors, name="import_errors"),
    path("imports/<int:pk>/report/", import_report, name="import_report"),
    path("analytics/", analytics, name="analytics"),
    path("analytics/near-threshold.csv", near_threshold_export, name="near_threshold_export"),
    path("tiers/", tiers, name="tiers"),
    path("tiers/new/", tier_rule_set_new, name="tier_rule_set_create"),
    path("benefits/", benefits, name="benefits"),
    path("<int:member_pk>/", member_detail, name="detail"),
    path("<int:member_pk>/points/", member_points_add, name="points_add"),
]
