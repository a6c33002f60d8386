"""GitLab and Jira sources against the simulated org's faults: rate limits waited out (or given
up on clearly), a rejected credential, Jira Cloud's repeated page token, and the Data Center
search path. The scenario is small and written relative to now (the sources' backfill window):

GitLab, project acme/platform/billing: MR 11 merged 3 h ago; pipelines 21 (success) and 22
(failed) on main; deployment 41 to production. One page of each list.
Jira, project OPS: 250 issues OPS-1..OPS-250 (ids 10001..10250), issue n updated 10 h ago plus n
minutes (so ordered by n); OPS-1 went Open -> In Progress -> Resolved.
"""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta

import pytest
import requests
from dlt.pipeline.exceptions import PipelineStepFailed

from dlt_sources.errors import SourceError
from dlt_sources.gitlab import gitlab
from dlt_sources.http import gitlab_reset_delay, jira_reset_delay
from dlt_sources.jira import jira
from simorg.faults import Fault
from simorg.scenario import (
    GitLabDeployment,
    GitLabJob,
    GitLabProject,
    JiraIssue,
    JiraTransition,
    MergeRequest,
    Pipeline,
    Scenario,
)
from simorg.server import SimulatedOrg
from sources_fixtures import NOW, ago, fast_retries, rows, run, run_until_done  # noqa: F401

BILLING = "acme/platform/billing"
ISSUES = 250  # Jira pages of 100: three pages (100, 100, 50)


def jira_issue(n: int) -> JiraIssue:
    updated = ago(hours=10) + timedelta(minutes=n)
    return JiraIssue(10000 + n, f"OPS-{n}", f"Issue {n}", "Incident", "Open", "new", updated - timedelta(hours=1),
                     updated)


def scenario() -> Scenario:
    first = jira_issue(1)
    first.status, first.status_category, first.resolutiondate = "Resolved", "done", first.updated
    first.transitions = [JiraTransition(1, first.created + timedelta(minutes=10), "Open", "In Progress"),
                         JiraTransition(2, first.updated, "In Progress", "Resolved")]
    return Scenario(
        gitlab_projects=[GitLabProject(1, BILLING)],
        merge_requests=[MergeRequest(BILLING, 11, 1, "Fix totals", "dev", ago(hours=5), ago(hours=3),
                                     [ago(hours=6)], merged_at=ago(hours=3), merge_commit_sha="m1".ljust(40, "0"))],
        pipelines=[
            Pipeline(BILLING, 21, 1, "main", "m1".ljust(40, "0"), "push", "success", ago(hours=3), ago(hours=2),
                     ago(hours=3), ago(hours=2), jobs=[GitLabJob(211, "deploy", "deploy", "success")]),
            Pipeline(BILLING, 22, 2, "main", "m1".ljust(40, "0"), "push", "failed", ago(hours=2), ago(hours=1),
                     ago(hours=2), ago(hours=1)),
        ],
        gitlab_deployments=[GitLabDeployment(BILLING, 41, 1, "production", "success", "m1".ljust(40, "0"), "main",
                                             ago(hours=2), ago(hours=2), ago(hours=2))],
        jira_issues=[first, *(jira_issue(n) for n in range(2, ISSUES + 1))],
    )


def gitlab_source(org: SimulatedOrg, **settings):
    return gitlab(**{"access_token": org.scenario.gitlab_token, "projects": [BILLING], "base_url": org.gitlab_url,
                     "graphql_url": org.gitlab_graphql_url, "max_rate_limit_wait": 10, **settings})


def jira_source(org: SimulatedOrg, **settings):
    return jira(**{"base_url": org.jira_url, "jql": "project = OPS", "api_token": org.scenario.jira_token,
                   "email": org.scenario.jira_email, "lookback_hours": 1, "max_rate_limit_wait": 10, **settings})


SOURCES = {"gitlab": (gitlab_source, "GitLab", "access_token"), "jira": (jira_source, "Jira", "api_token")}


def timed_run(home, source) -> float:
    started = time.monotonic()
    run(home, source)
    return time.monotonic() - started


# --- rate limits ---------------------------------------------------------------------------


def test_gitlab_429_is_waited_out_and_nothing_is_missed(home):
    with SimulatedOrg(scenario()) as org:
        # Retry-After 2 and RateLimit-Reset now + 2, as GitLab sends them; the first pipelines list
        # request is refused.
        org.inject(Fault.too_many_requests(service="gitlab", path="/pipelines", retry_after=2))
        elapsed = timed_run(home, gitlab_source(org))
        assert org.faults.pending == []
        assert org.requests[("gitlab", "pipelines")] == 2  # the refused request and its retry
    assert elapsed >= 2
    assert rows(home, "raw_gitlab", "select id, status from {t}.pipelines order by id") == [
        (21, "success"), (22, "failed")]
    assert rows(home, "raw_gitlab", "select id from {t}.merge_requests") == [(11,)]
    assert rows(home, "raw_gitlab", "select id from {t}.deployments") == [(41,)]
    # jobs of both finished pipelines on main: 21 has one, 22 none
    assert rows(home, "raw_gitlab", "select id, pipeline_id from {t}.jobs") == [(211, 21)]


def test_jira_429_is_waited_out_and_nothing_is_missed(home):
    with SimulatedOrg(scenario()) as org:
        org.inject(Fault.too_many_requests(service="jira", path="/search/jql", retry_after=2))
        elapsed = timed_run(home, jira_source(org))
        assert org.faults.pending == []
        assert org.requests[("jira", "search_jql")] == 4  # 3 pages + the refused first request
    assert elapsed >= 2
    assert rows(home, "raw_jira", "select count(*), count(distinct id), min(key), max(id) from {t}.issues") == [
        (250, 250, "OPS-1", 10250)]


@pytest.mark.parametrize("service", ["gitlab", "jira"])
def test_a_reset_beyond_the_max_wait_stops_at_once_saying_when_and_how_far(home, service):
    source, name, _secret = SOURCES[service]
    with SimulatedOrg(scenario()) as org:
        org.inject(Fault.too_many_requests(service=service, retry_after=600))
        started = time.monotonic()
        with pytest.raises(SourceError) as failure:
            run_until_done(home, lambda: source(org, max_rate_limit_wait=5))
    assert time.monotonic() - started < 5  # did not wait
    message = str(failure.value)
    assert f"{name} rate limit exhausted; it resets at " in message
    assert "600 s from now, more than the configured max_rate_limit_wait of 5 s" in message
    # the resource whose first request met the limit has done none of its one unit (the
    # project; for Jira the query for projects not seen yet), the others went on
    assert re.search(r"\w+ 0 of 1 projects done, 1 left", message), message


def rate_limited(**headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response.headers.update(headers)
    return response


def test_reset_headers_each_service_sends_give_the_wait():
    now = time.time()
    # GitLab: Retry-After (seconds) first, else RateLimit-Reset (epoch seconds).
    assert gitlab_reset_delay(rate_limited(**{"Retry-After": "7", "RateLimit-Reset": str(int(now) + 100)})) == 7.0
    assert 28 <= gitlab_reset_delay(rate_limited(**{"RateLimit-Reset": str(int(now) + 30)})) <= 30
    # Jira: Retry-After first, else X-RateLimit-Reset (ISO 8601).
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 30))
    assert jira_reset_delay(rate_limited(**{"Retry-After": "3", "X-RateLimit-Reset": reset})) == 3.0
    assert 28 <= jira_reset_delay(rate_limited(**{"X-RateLimit-Reset": reset})) <= 30
    # no limit headers, or not a 429: no wait of the source's own
    assert gitlab_reset_delay(rate_limited()) is None
    ok = rate_limited(**{"Retry-After": "3"})
    ok.status_code = 200
    assert jira_reset_delay(ok) is None


# --- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["gitlab", "jira"])
def test_rejected_credential_names_the_setting_and_hides_the_secret(home, service):
    source, name, secret = SOURCES[service]
    wrong = f"{service}-wrong-secret-4711"
    with SimulatedOrg(scenario()) as org:
        with pytest.raises(PipelineStepFailed) as failure:
            run(home, source(org, **{secret: wrong}))
        assert sum(org.requests.values()) == 1  # fails fast: a 401 is not retried
    message = str(failure.value)
    assert f"{name} rejected the credential (401 Unauthorized)" in message
    key = f"sources.{service}.{secret}"
    assert f"{key} (environment variable SOURCES__{service.upper()}__{secret.upper()})" in message
    basic = base64.b64encode(f"bot@example.com:{wrong}".encode()).decode()  # Jira Cloud's Authorization
    assert wrong not in message and basic not in message


# --- paging --------------------------------------------------------------------------------


def test_a_repeated_jira_page_token_stops_paging_and_the_next_run_catches_up(home):
    with SimulatedOrg(scenario()) as org:
        # Page 1 (no token) answered normally with token T; page 2 answered with T again.
        org.inject(Fault.repeated_page_token(path="/search/jql"))
        run(home, jira_source(org))
        assert org.faults.pending == []
        first_requests = org.requests[("jira", "search_jql")]
        org.reset_requests()
        run(home, jira_source(org))
        second_requests = org.requests[("jira", "search_jql")]
    # Run 1 (no project known yet: one query for projects not seen yet) stops after page 2
    # instead of asking for it forever: issues 1-200; OPS is known from then on.
    assert first_requests == 2
    # Run 2 reads OPS from its cursor (issue 200, 10 h ago + 200 min) less the 1 h lookback,
    # floored to the minute: issues 140..250 = 111, pages of 100 and 11; and asks once for
    # projects other than OPS: none.
    assert second_requests == 3
    assert rows(home, "raw_jira", "select count(*), count(distinct id), max(id) from {t}.issues") == [
        (250, 250, 10250)]


def test_data_center_searches_v2_with_a_personal_access_token(home):
    with SimulatedOrg(scenario()) as org:
        run(home, jira_source(org, email=None))  # no email: Bearer PAT, /rest/api/2/search
        requests_made = dict(org.requests)
    # startAt 0 and 100 and 200 (total 250); histories come embedded (expand=changelog), so no
    # Cloud search and no changelog bulk fetch.
    assert requests_made == {("jira", "search"): 3}
    assert rows(home, "raw_jira", "select count(*), count(distinct id) from {t}.issues") == [(250, 250)]
    first = jira_issue(1)
    assert rows(home, "raw_jira", "select key, status, status_category, resolutiondate from {t}.issues "
                                  "where id = 10001") == [("OPS-1", "Resolved", "done", first.updated)]
    assert rows(home, "raw_jira", "select id, issue_id, from_status, to_status, changed_at from {t}.status_changes "
                                  "order by id") == [
        ("10001:1", 10001, "Open", "In Progress", first.created + timedelta(minutes=10)),
        ("10001:2", 10001, "In Progress", "Resolved", first.updated),
    ]
