"""``/api/v1/reports/{name}``: the rows of ``huifang report``, for the caller's part of the
organisation."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router

from huifang.api.auth import caller
from huifang.api.errors import invalid
from huifang.api.schemas import errors
from huifang.reports.figures import GROUPINGS, REPORTS, ReportError, report

router = Router(tags=["reports"])
# A report covers at most this many days in one request.
MAX_DAYS = 3 * 366


@router.get("/{name}", response={200: list[dict[str, Any]], **errors(404)}, summary="A report's rows")
def get_report(
    request: HttpRequest,
    name: str,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    by: Annotated[str | None, Query(description=f"one of {', '.join(GROUPINGS)}")] = None,
) -> list[dict[str, Any]]:
    """CONTRACT ``huifang report`` rows: the grouping keys, then the figures (a rate from 0 to 1,
    or null when its denominator is 0)."""
    if name not in REPORTS:
        from django.http import Http404

        raise Http404
    if end < start:
        raise invalid(["query", "to"], "the last day is before the first")
    if (end - start).days > MAX_DAYS:
        raise invalid(["query", "to"], f"at most {MAX_DAYS} days in one report")
    if by is not None and by not in GROUPINGS:
        raise invalid(["query", "by"], f"one of {', '.join(GROUPINGS)}")
    try:
        return report(name, start=start, end=end, by=by, user=caller(request))
    except ReportError as error:
        raise invalid(["query"], str(error)) from error
