"""GitHub adds an `inactive` status to every deployment of an environment once a newer one succeeds
(auto_inactive; Actions environments do the same), so on a real repository every production
deployment but the latest has the latest status `inactive`. A deployment still counts once, at its
first status in the definition's state. End to end: the simulated org, the real GitHub source, dbt.

Scenario (T = 5 days ago, whole minutes), repository acme/api, environment production, one
definition `gh` (github_deployment, state empty = success):
  601 queued T, in_progress T+1m, success T+5m, inactive T+2h    first seen already inactive
  602 queued T+1d, in_progress T+1d 1m, success T+1d 5m           seen as success in run 1 ...
      ... and inactive at T+2d 5m in run 2, when 603 succeeds
  603 queued T+2d, in_progress T+2d 1m, success T+2d 5m           new in run 2
  604 in_progress T+3d, failure T+3d 5m, inactive T+3d 6m         never a success: never counts
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dbt_fixtures import DbtProjectCopy, execute
from dlt_sources.pipelines import make_pipeline
from dora.core.home import Home
from gitlab_jira_fixtures import seed_csv
from simorg.scenario import Deployment, DeploymentStatus, Repo, Scenario
from simorg.server import SimulatedOrg
from sources_fixtures import ago, fast_retries, github_source  # noqa: F401

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

T = ago(5).replace(second=0)
SHA = "d" * 40
BUILD = ["build", "--exclude-resource-type", "unit_test", "--select", "+marts.deployments", "--indirect-selection", "cautious"]
DEPLOYMENTS = "select deployment_id, definition_id, deployed_at, is_failed from marts.deployments order by 1"


def deployment(id: int, created, *statuses: tuple[str, timedelta]) -> Deployment:
    return Deployment("acme/api", id, SHA, "main", "production", created, "bob",
                      statuses=[DeploymentStatus(id * 10 + n, state, created + after)
                                for n, (state, after) in enumerate(statuses)])


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """marts.deployments after run 1 and after run 2."""
    root = tmp_path_factory.mktemp("deployment_history")
    home = Home(root / "home").ensure()
    project = DbtProjectCopy.create(root / "dbt_project", home.warehouse)
    project.write_seed("deployment_definitions", seed_csv("deployment_definitions", [
        {"definition_id": "gh", "method": "github_deployment", "repository": "acme/api"}]))
    scenario = Scenario(repos=[Repo("acme", "api", 101)], deployments=[
        deployment(601, T, ("queued", minutes(0)), ("in_progress", minutes(1)), ("success", minutes(5)),
                   ("inactive", timedelta(hours=2))),
        deployment(602, T + timedelta(days=1), ("queued", minutes(0)), ("in_progress", minutes(1)),
                   ("success", minutes(5))),
    ])
    results = []
    with SimulatedOrg(scenario) as org:
        for run in (1, 2):
            if run == 2:
                scenario.deployments[1].statuses.append(
                    DeploymentStatus(6024, "inactive", T + timedelta(days=2) + minutes(5)))
                scenario.deployments += [
                    deployment(603, T + timedelta(days=2), ("queued", minutes(0)), ("in_progress", minutes(1)),
                               ("success", minutes(5))),
                    deployment(604, T + timedelta(days=3), ("in_progress", minutes(0)), ("failure", minutes(5)),
                               ("inactive", minutes(6))),
                ]
            make_pipeline("github", home).run(github_source(org).with_resources("deployments"))
            built = project.dbt(*BUILD)
            assert built.success, built.text
            results.append(execute(project.warehouse, DEPLOYMENTS))
    return results


def test_a_deployment_first_seen_inactive_counts_at_its_success(two_runs):
    first, _ = two_runs
    assert first == [
        ("github_deployment:601", "gh", (T + minutes(5)).replace(tzinfo=None), False),
        ("github_deployment:602", "gh", (T + timedelta(days=1) + minutes(5)).replace(tzinfo=None), False),
    ]


def test_a_deployment_marked_inactive_later_still_counts_once_at_its_success(two_runs):
    first, second = two_runs
    assert second == first + [
        ("github_deployment:603", "gh", (T + timedelta(days=2) + minutes(5)).replace(tzinfo=None), False),
    ]
