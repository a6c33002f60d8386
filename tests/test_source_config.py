"""Configuration through dlt's own providers: what is missing is said by key and env var, and a
source configured only by environment variables loads."""

import socket

import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.pipeline.exceptions import PipelineStepFailed

from dlt_sources.github import github
from dlt_sources.errors import SourceError
from dlt_sources.gitlab import gitlab
from dlt_sources.jira import jira
from dlt_sources.pagerduty import pagerduty
from dlt_sources.settings import missing_settings
from simorg.scenario import Incident, PagerDutyService, Repo, Scenario, WorkflowRun
from simorg.server import SimulatedOrg
from sources_fixtures import ago, fast_retries, rows, run  # noqa: F401

SETTINGS = [
    "SOURCES__GITHUB__ACCESS_TOKEN", "SOURCES__GITHUB__REPOSITORIES", "SOURCES__GITHUB__OWNER",
    "SOURCES__GITHUB__BASE_URL", "SOURCES__PAGERDUTY__API_KEY", "SOURCES__PAGERDUTY__BASE_URL",
]  # fmt: skip


@pytest.fixture(autouse=True)
def unconfigured(monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)


def test_missing_settings_names_each_key_and_its_environment_variable(monkeypatch):
    assert missing_settings("github") == [
        "sources.github.access_token (env SOURCES__GITHUB__ACCESS_TOKEN)",
        "sources.github.repositories (env SOURCES__GITHUB__REPOSITORIES) or sources.github.owner (env SOURCES__GITHUB__OWNER)",
    ]
    assert missing_settings("pagerduty") == ["sources.pagerduty.api_key (env SOURCES__PAGERDUTY__API_KEY)"]

    monkeypatch.setenv("SOURCES__GITHUB__ACCESS_TOKEN", "ghp_x")
    monkeypatch.setenv("SOURCES__GITHUB__OWNER", "acme")
    monkeypatch.setenv("SOURCES__PAGERDUTY__API_KEY", "pd_x")
    assert missing_settings("github") == []
    assert missing_settings("pagerduty") == []


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="unknown source 'bitbucket'"):
        missing_settings("bitbucket")


def test_missing_token_fails_before_any_request_naming_the_key():
    with pytest.raises(ConfigFieldMissingException) as failure:
        github(repositories=["acme/api"])
    assert "SOURCES__GITHUB__ACCESS_TOKEN" in str(failure.value)
    with pytest.raises(ConfigFieldMissingException) as failure:
        pagerduty()
    assert "SOURCES__PAGERDUTY__API_KEY" in str(failure.value)


def test_github_needs_repositories_or_owner():
    with pytest.raises(SourceError, match=r"SOURCES__GITHUB__REPOSITORIES, a JSON list of owner/name\) or sources.github.owner \(SOURCES__GITHUB__OWNER\)"):
        github(access_token="ghp_x")


def test_sources_configured_only_by_environment_variables_load(home, monkeypatch):
    scenario = Scenario(
        repos=[Repo("acme", "api", 101)],
        workflow_runs=[
            WorkflowRun("acme/api", 5001, 77, "deploy", "main", "a" * 40, "push", "completed", "success",
                        ago(3), ago(3), ago(3), "alice"),
        ],
        pagerduty_services=[PagerDutyService("PSVC1", "checkout")],
        incidents=[Incident("PINC1", 1, "DB down", "PSVC1", created_at=ago(2), updated_at=ago(2))],
    )
    with SimulatedOrg(scenario) as org:
        monkeypatch.setenv("SOURCES__GITHUB__ACCESS_TOKEN", scenario.github_token)
        monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", '["acme/api"]')
        monkeypatch.setenv("SOURCES__GITHUB__BASE_URL", org.github_url)
        monkeypatch.setenv("SOURCES__PAGERDUTY__API_KEY", scenario.pagerduty_token)
        monkeypatch.setenv("SOURCES__PAGERDUTY__BASE_URL", org.pagerduty_url)
        run(home, github())
        run(home, pagerduty())
        # GraphQL was found from the REST base URL (/api/v3 -> /api/graphql): PRs and deployments.
        assert org.requests[("github", "graphql")] == 2
    assert rows(home, "raw_github", "select id, repository from {t}.workflow_runs") == [(5001, "acme/api")]
    assert rows(home, "raw_pagerduty", "select id, status from {t}.incidents") == [("PINC1", "triggered")]


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(("source", "name", "setting"), [
    (lambda url: github(access_token="x", owner="acme", base_url=url), "GitHub", "SOURCES__GITHUB__BASE_URL"),
    (lambda url: pagerduty(api_key="x", base_url=url), "PagerDuty", "SOURCES__PAGERDUTY__BASE_URL"),
    (lambda url: gitlab(access_token="x", group="acme", base_url=url), "GitLab", "SOURCES__GITLAB__BASE_URL"),
    (lambda url: jira(base_url=url, jql="project = OPS", api_token="x"), "Jira", "SOURCES__JIRA__BASE_URL"),
])
def test_an_unreachable_base_url_is_named_with_its_host(home, source, name, setting):
    port = closed_port()
    with pytest.raises(PipelineStepFailed) as failure:
        run(home, source(f"http://127.0.0.1:{port}/api"))
    cause = failure.value  # dlt's wrappers, each raised from the one it wraps
    while cause.__cause__ is not None:
        cause = cause.__cause__
    assert str(cause) == (f"{name} cannot be reached at 127.0.0.1:{port} ([Errno 111] Connection refused). "
                          f"Check {setting.lower().replace('__', '.')} (environment variable {setting}) and the network.")
