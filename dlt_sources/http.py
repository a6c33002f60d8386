"""HTTP behaviour shared by the sources (GitHub, PagerDuty, GitLab, Jira).

dlt's RESTClient and retrying session already give pagination, timeouts and retries with
backoff for 5xx, 429 (honouring Retry-After) and dropped connections; they are configured by
dlt's `[runtime]` settings (request_max_attempts, request_backoff_factor, request_timeout,
request_max_retry_delay). This module adds only what those APIs do not know:

- a rate-limit answer that says when the limit resets (each API's own headers: the `*_reset_delay`
  readers below) is waited out when the reset is at most `max_rate_limit_wait` seconds away,
  otherwise RateLimitReached (default 300 s: a scheduled run should rather stop and be resumed by
  the next one than hold a worker for up to an hour);
- for an API with hourly budgets (GitHub), what each answer says is left is remembered
  (dlt_sources.budget), and a request the budget cannot afford is not sent: the client waits for
  a near reset or raises RateLimitReached before sending it;
- GitHub's secondary-limit 403 with Retry-After is retried like a 429;
- a 200 answer that is not valid JSON (a truncated body) is retried;
- GraphQL answers 200 with an `errors` list: retried when transient, else a clear error;
- a rejected credential (401) fails fast naming the setting to fix, never the secret;
- a server that cannot be reached (after dlt's retries) fails naming its host and the setting
  that points at it (`base_url`), not with requests' raw ConnectionError.

Relay-style GraphQL paging (GitHub, GitLab) is the GraphQLCursorPaginator below.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from dlt.sources.helpers.requests import Client, Response
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import ConnectionError as Unreachable
from requests import HTTPError, Request
from requests.auth import AuthBase

from dlt_sources.budget import RateLimits
from dlt_sources.errors import RateLimitReached, SourceError
from dlt_sources.rows import parse_time

DEFAULT_MAX_RATE_LIMIT_WAIT = 300.0

# GraphQL error types that say "try again later". GitHub's generic "Something went wrong while
# executing your query" (a timeout) has no type, path or extensions: also transient. Anything
# else (NOT_FOUND, FORBIDDEN, a query the schema rejects) will not pass on a retry.
TRANSIENT_GRAPHQL_ERRORS = {"RATE_LIMITED", "INTERNAL", "TIMEOUT", "SERVICE_UNAVAILABLE"}


class RetryableResponse(RuntimeError):
    """An answer worth asking again for; dlt's retry loop retries it, then re-raises it."""


@dataclass(frozen=True)
class Service:
    """What error messages need to know about the API being called."""

    name: str  # "GitHub"
    credential_key: str  # "sources.github.access_token"
    reset_delay: Callable[[Response], Optional[float]]  # seconds until a hit limit resets
    # (budget, cost) of a request, for an API whose answers say what its budgets have left (GitHub)
    request_cost: Optional[Callable[[Request], tuple[str, int]]] = None

    @property
    def credential_env(self) -> str:
        return env_name(self.credential_key)


def env_name(key: str) -> str:
    """The environment variable of a dlt setting: sources.github.base_url -> SOURCES__GITHUB__BASE_URL."""
    return key.upper().replace(".", "__")


SECONDARY_LIMIT_WAIT = 60.0  # GitHub: without retry-after, wait at least a minute


def github_reset_delay(response: Response) -> Optional[float]:
    """Primary rate limit: REST 403 or 429 with x-ratelimit-remaining 0, GraphQL 200 with an error
    of type RATE_LIMITED (or RATE_LIMIT; remaining need not be 0: the query cost more than was
    left); the reset is epoch seconds. A secondary limit without retry-after: a minute (with
    retry-after, dlt's wait reads it)."""
    refused = response.status_code in (403, 429)
    if refused and "retry-after" not in response.headers and "secondary rate limit" in response.text:
        return SECONDARY_LIMIT_WAIT
    if "x-ratelimit-reset" not in response.headers:
        return None
    spent = refused and response.headers.get("x-ratelimit-remaining") == "0"
    if not spent and not (response.status_code == 200 and "RATE_LIMIT" in response.text and _rate_limited_graphql(response)):
        return None  # an ordinary answer (the last allowed request included)
    return max(0.0, float(response.headers["x-ratelimit-reset"]) - time.time())


def _rate_limited_graphql(response: Response) -> bool:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return False
    return any(error.get("type") in ("RATE_LIMITED", "RATE_LIMIT") for error in errors)


def pagerduty_reset_delay(response: Response) -> Optional[float]:
    """PagerDuty answers 429 with ratelimit-reset in seconds."""
    if response.status_code != 429 or "ratelimit-reset" not in response.headers:
        return None
    return float(response.headers["ratelimit-reset"])


def gitlab_reset_delay(response: Response) -> Optional[float]:
    """A 429 says when to retry: Retry-After seconds, else RateLimit-Reset (epoch seconds)."""
    if response.status_code != 429:
        return None
    if "retry-after" in response.headers:
        return float(response.headers["retry-after"])
    if "ratelimit-reset" in response.headers:
        return max(0.0, float(response.headers["ratelimit-reset"]) - time.time())
    return None


def jira_reset_delay(response: Response) -> Optional[float]:
    """A 429 says when to retry: Retry-After seconds, else X-RateLimit-Reset (ISO 8601)."""
    if response.status_code != 429:
        return None
    if "retry-after" in response.headers:
        return float(response.headers["retry-after"])
    reset = parse_time(response.headers.get("x-ratelimit-reset"))
    return max(0.0, (reset - datetime.now(timezone.utc)).total_seconds()) if reset else None


class GraphQLCursorPaginator(BasePaginator):
    """Relay-style paging: the next request sends `endCursor` as `$after` while `hasNextPage`.
    `start_after` resumes a connection after the cursor a previous run stopped at."""

    def __init__(self, page_info_path: list[str], start_after: Optional[str] = None) -> None:
        super().__init__()
        self.page_info_path = page_info_path
        self.end_cursor: Optional[str] = start_after

    def init_request(self, request: Request) -> None:
        request.json["variables"]["after"] = self.end_cursor

    def update_state(self, response: Response, data: Optional[list[Any]] = None) -> None:
        page_info = response.json()
        for key in self.page_info_path:
            page_info = page_info[key]
        self._has_next_page = bool(page_info["hasNextPage"])
        self.end_cursor = page_info["endCursor"]

    def update_request(self, request: Request) -> None:
        request.json["variables"]["after"] = self.end_cursor


class CheckedRESTClient(RESTClient):
    """A RESTClient whose every request goes through one response check (dlt's default hook
    only raises on error statuses, and only in `paginate`), is priced against the budget the
    API said is left (when the service has budgets), is counted (`requests_sent`), and whose
    unreachable server is named by its setting and host instead of a raw ConnectionError."""

    def __init__(self, service: Service, limits: RateLimits, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.limits = limits
        self.requests_sent = 0
        self._check = _response_check(service, limits)

    def _create_request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["hooks"] = {"response": [self._check]}
        return super()._create_request(*args, **kwargs)

    def _send_request(self, request: Request, **kwargs: Any) -> Response:
        if self.service.request_cost is not None:
            self.limits.reserve(*self.service.request_cost(request))
        self.requests_sent += 1
        try:
            return super()._send_request(request, **kwargs)
        except Unreachable as error:  # after dlt's retries
            raise SourceError(_unreachable(self.service, self.base_url, request.url, error)) from None


def _unreachable(service: Service, base_url: str, url: str, error: Unreachable) -> str:
    """What to fix when a server cannot be reached: its host, the reason, the setting naming it."""
    section = service.credential_key.rsplit(".", 1)[0]  # sources.github
    # A URL outside base_url is a GraphQL endpoint: its own setting, else derived from base_url.
    keys = [f"{section}.base_url"] if url.startswith(base_url or "") else [f"{section}.graphql_url", f"{section}.base_url"]
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    reason = re.search(r"\[Errno -?\d+\] [^'\")]+|Connection aborted|timed out", str(error))
    settings = " or ".join(f"{key} (environment variable {env_name(key)})" for key in keys)
    return (f"{service.name} cannot be reached at {host} ({reason.group(0) if reason else type(error).__name__})."
            f" Check {settings} and the network.")


def make_client(
    base_url: str,
    auth: AuthBase,
    service: Service,
    max_rate_limit_wait: float,
    headers: Optional[dict[str, str]] = None,
) -> CheckedRESTClient:
    """A client that retries what dlt retries plus RetryableResponse (the check runs inside
    dlt's retry loop, as a requests response hook)."""
    session = Client(raise_for_status=False, retry_condition=_retry_condition).session
    return CheckedRESTClient(
        service,
        RateLimits(service.name, max_rate_limit_wait),
        base_url=base_url,
        headers=headers,
        auth=auth,
        session=session,
    )


def _retry_condition(response: Optional[Response], exception: Optional[BaseException]) -> bool:
    if isinstance(exception, RetryableResponse):
        return True
    # GitHub secondary rate limit: 403 with Retry-After (dlt's wait honours the header).
    if isinstance(exception, HTTPError) and exception.response is not None:
        return exception.response.status_code == 403 and "retry-after" in exception.response.headers
    return False


def _response_check(service: Service, limits: RateLimits) -> Callable[..., None]:
    def check(response: Response, *args: Any, **kwargs: Any) -> None:
        limits.record(response.headers)
        delay = service.reset_delay(response)
        if delay is not None:
            if delay > limits.max_wait:
                budget = response.headers.get("x-ratelimit-resource", "")
                raise RateLimitReached(service.name, budget, time.time() + delay, limits.max_wait)
            time.sleep(delay)
            raise RetryableResponse(f"{service.name} rate limit was hit; waited {delay:.0f} s for its reset")
        if response.status_code == 304:
            raise IgnoreResponseException()  # not modified since the stored ETag
        if response.status_code == 401:
            raise SourceError(
                f"{service.name} rejected the credential (401 Unauthorized). Set a valid value for"
                f" {service.credential_key} (environment variable {service.credential_env})."
            )
        if response.status_code >= 400:
            raise HTTPError(
                f"{service.name} answered {response.status_code} {response.reason} for {response.url}",
                response=response,
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryableResponse(f"{service.name} sent a response that is not valid JSON: {exc}") from exc
        limits.record({}, body)
        if isinstance(body, dict) and body.get("errors"):
            _check_graphql_errors(service, body["errors"])

    return check


def _check_graphql_errors(service: Service, errors: list[dict]) -> None:
    messages = "; ".join(str(e.get("message", e)) for e in errors)
    if all(_is_transient(error) for error in errors):
        raise RetryableResponse(f"{service.name} GraphQL query kept failing: {messages}")
    raise SourceError(f"{service.name} GraphQL query failed: {messages}")


def _is_transient(error: dict) -> bool:
    if "type" in error:
        return error["type"] in TRANSIENT_GRAPHQL_ERRORS
    return "path" not in error and "extensions" not in error
