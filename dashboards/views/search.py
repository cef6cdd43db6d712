"""The search page behind the top bar's box (SPEC 10.3): results grouped by kind, only what the user may read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..search import MAX_QUERY_LENGTH, TYPES, search


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    too_long = len(q) > MAX_QUERY_LENGTH
    results = search(user=request.user, q=q) if q and not too_long else []
    groups = [
        {"type": key, "label": label, "results": [r for r in results if r.type == key]} for key, label in TYPES.items()
    ]
    context = {
        "q": q,
        "too_long": too_long,
        "max_length": MAX_QUERY_LENGTH,
        "groups": [g for g in groups if g["results"]],
        "total": len(results),
    }
    return render(request, "dashboards/search.html", context, status=400 if too_long else 200)
