"""PagerDuty source: incidents (incremental) and services (full list each run).

`GET /incidents` filters on creation time, in windows of at most 6 months, and pages by offset
only up to 10,000 results. So incidents are listed window by window (a window holding more than
10,000 is halved), starting at the cursor minus `lookback_hours`. An incident created earlier can
still change (be acknowledged, resolved): the ids of incidents that were open after the last run
are kept in resource state and fetched again, together with the list of currently open ones.
The cursor is `updated_at`, which every change moves forward, so those refetched incidents pass
dlt's incremental filter while unchanged ones are dropped.
"""

# No `from __future__ import annotations`: dlt finds a resource's incremental argument by its
# evaluated type hint, and string annotations make it silently skip the cursor.

from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Optional

import dlt
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

from dlt_sources.http import (
    DEFAULT_MAX_RATE_LIMIT_WAIT,
    CheckedRESTClient,
    Service,
    SourceError,
    make_client,
    pagerduty_reset_delay,
)
from dlt_sources.rows import LOAD_FILE_FORMAT, format_time, parse_time, table_columns

PAGERDUTY = Service("PagerDuty", "sources.pagerduty.api_key", pagerduty_reset_delay)

MAX_WINDOW = timedelta(days=180)  # since/until may span at most 6 months (181+ days)
MAX_OFFSET_RESULTS = 10_000  # offset + limit may not pass 10,000
PAGE_SIZE = 100
OPEN_STATUSES = ["triggered", "acknowledged"]

INCIDENT_COLUMNS = table_columns(
    id="text", incident_number="bigint", title="text", status="text", urgency="text",
    priority="text", service_id="text", service_name="text", teams="json",
    created_at="timestamp", resolved_at="timestamp", updated_at="timestamp",
    last_status_change_at="timestamp", html_url="text",
)  # fmt: skip
SERVICE_COLUMNS = table_columns(
    id="text", name="text", description="text", status="text", teams="json",
    created_at="timestamp", html_url="text",
)  # fmt: skip


@dlt.source(name="pagerduty", max_table_nesting=0)
def pagerduty(
    api_key: str = dlt.secrets.value,
    base_url: str = "https://api.pagerduty.com",
    backfill_days: int = 365,
    lookback_hours: int = 72,
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
) -> Any:
    client = make_client(
        base_url,
        APIKeyAuth(name="Authorization", api_key=f"Token token={api_key}", location="header"),
        PAGERDUTY,
        max_rate_limit_wait,
        headers={"Accept": "application/vnd.pagerduty+json;version=2"},
    )
    start = datetime.now(timezone.utc) - timedelta(days=backfill_days)
    updated_at = dlt.sources.incremental("updated_at", initial_value=start, lag=lookback_hours * 3600)
    return incidents(client, updated_at), services(client)


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=INCIDENT_COLUMNS)
def incidents(
    client: CheckedRESTClient, updated_at: dlt.sources.incremental[datetime]
) -> Iterator[list[dict[str, Any]]]:
    state = dlt.current.resource_state()
    previously_open = set(state.get("open_ids", []))
    seen: set[str] = set()
    still_open: set[str] = set()

    def rows(page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for incident in page:
            seen.add(incident["id"])
            if incident["status"] == "resolved":
                still_open.discard(incident["id"])
            else:
                still_open.add(incident["id"])
        return [_incident_row(incident) for incident in page]

    now = datetime.now(timezone.utc)
    window_start = updated_at.start_value
    while window_start < now:
        window_end = min(window_start + MAX_WINDOW, now)
        for page in _incidents_created(client, window_start, window_end):
            yield rows(page)
        window_start = window_end
    for page in _incident_pages(client, {"date_range": "all", "statuses[]": OPEN_STATUSES}):
        yield rows(page)
    for incident_id in sorted(previously_open - seen):
        yield rows([client.get(f"incidents/{incident_id}").json()["incident"]])
    state["open_ids"] = sorted(still_open)


def _incidents_created(client: CheckedRESTClient, since: datetime, until: datetime) -> Iterator[list[dict[str, Any]]]:
    """Pages of incidents created in [since, until); a window over the offset limit is halved."""
    pages = _incident_pages(client, {"since": format_time(since), "until": format_time(until), "total": "true"})
    for page in pages:
        total = page.response.json().get("total") or 0
        if total > MAX_OFFSET_RESULTS:  # only the first page gets here with a too-large total
            pages.close()
            if until - since < timedelta(seconds=2):
                raise SourceError(f"PagerDuty holds {total} incidents created within one second at {since}")
            middle = since + (until - since) / 2
            yield from _incidents_created(client, since, middle)
            yield from _incidents_created(client, middle, until)
            return
        yield page


def _incident_pages(client: CheckedRESTClient, params: dict[str, Any]) -> Iterator[Any]:
    return client.paginate(
        "incidents",
        params={**params, "limit": PAGE_SIZE},
        paginator=OffsetPaginator(limit=PAGE_SIZE, total_path=None, has_more_path="more"),
        data_selector="incidents",
    )


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=SERVICE_COLUMNS)
def services(client: CheckedRESTClient) -> Iterator[list[dict[str, Any]]]:
    """Few and small: the whole list every run."""
    pages = client.paginate(
        "services",
        params={"limit": PAGE_SIZE},
        paginator=OffsetPaginator(limit=PAGE_SIZE, total_path=None, has_more_path="more"),
        data_selector="services",
    )
    for page in pages:
        yield [_service_row(service) for service in page]


def _summaries(references: Optional[list[dict[str, Any]]]) -> list[str]:
    return [reference["summary"] for reference in references or []]


def _incident_row(incident: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": incident["id"],
        "incident_number": incident["incident_number"],
        "title": incident["title"],
        "status": incident["status"],
        "urgency": incident["urgency"],
        "priority": (incident.get("priority") or {}).get("summary"),
        "service_id": incident["service"]["id"],
        "service_name": incident["service"]["summary"],
        "teams": _summaries(incident.get("teams")),
        "created_at": parse_time(incident["created_at"]),
        "resolved_at": parse_time(incident.get("resolved_at")),
        "updated_at": parse_time(incident["updated_at"]),
        "last_status_change_at": parse_time(incident.get("last_status_change_at")),
        "html_url": incident["html_url"],
    }


def _service_row(service: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": service["id"],
        "name": service["name"],
        "description": service.get("description"),
        "status": service["status"],
        "teams": _summaries(service.get("teams")),
        "created_at": parse_time(service.get("created_at")),
        "html_url": service["html_url"],
    }
