"""`dora demo`: the pipeline against a simulated organisation, in its own data directory.

The demo keeps its data and its definition files apart from a real install (history is
durable: simulated records must never land in a real warehouse), and defines deployments and
services the way a team of the simulated org would: the `deploy` workflow on main, and each
product's repositories and PagerDuty service mapped to one service and team.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import click

from dora.home import Home, definitions_dir
from simorg.scenario import Scenario

DEMO_DEPLOYMENTS = [{"definition_id": "deploy-workflow", "method": "workflow_run", "workflow": "deploy", "branch": "main"}]


def demo_environment(org, scenario: Scenario) -> dict[str, str]:
    """dlt settings (environment variables) that point every source the scenario has at the
    simulated org."""
    environment = {
        "SOURCES__GITHUB__ACCESS_TOKEN": scenario.github_token,
        "SOURCES__GITHUB__BASE_URL": org.github_url,
        "SOURCES__GITHUB__GRAPHQL_URL": org.github_graphql_url,
        "SOURCES__GITHUB__OWNER": scenario.repos[0].owner,
        "SOURCES__PAGERDUTY__API_KEY": scenario.pagerduty_token,
        "SOURCES__PAGERDUTY__BASE_URL": org.pagerduty_url,
    }
    if scenario.gitlab_projects:
        environment |= {
            "SOURCES__GITLAB__ACCESS_TOKEN": scenario.gitlab_token,
            "SOURCES__GITLAB__BASE_URL": org.gitlab_url,
            "SOURCES__GITLAB__GRAPHQL_URL": org.gitlab_graphql_url,
            "SOURCES__GITLAB__PROJECTS": json.dumps([project.path_with_namespace for project in scenario.gitlab_projects]),
        }
    if scenario.jira_issues:
        environment |= {
            "SOURCES__JIRA__BASE_URL": org.jira_url,
            "SOURCES__JIRA__EMAIL": scenario.jira_email,
            "SOURCES__JIRA__API_TOKEN": scenario.jira_token,
            "SOURCES__JIRA__JQL": "project is not EMPTY",
        }
    return environment


def write_demo_definitions(directory: Path, scenario: Scenario) -> Path:
    """The shipped definition files, with the demo org's deployments and services filled in."""
    directory.mkdir(parents=True, exist_ok=True)
    for seed in definitions_dir().glob("*.csv"):
        shutil.copyfile(seed, directory / seed.name)
    _rewrite(directory / "deployment_definitions.csv", DEMO_DEPLOYMENTS)
    services = [
        {
            "service": service.name,
            "team": service.teams[0] if service.teams else "",
            "repository": f"{scenario.repos[0].owner}/{service.name}-*",
            "pagerduty_service": service.name,
        }
        for service in scenario.pagerduty_services
    ]
    _rewrite(directory / "services.csv", services)
    return directory


def _rewrite(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, newline="") as handle:
        header = next(csv.reader(handle))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@click.command()
def demo() -> None:
    """Run the pipeline against a built-in simulated GitHub + PagerDuty organisation."""
    from dora.run_cli import print_summary, run_pipeline
    from simorg.generate import demo_scenario
    from simorg.server import SimulatedOrg

    home = Home(Home.from_env().root / "demo")
    scenario = demo_scenario(datetime.now(timezone.utc).replace(microsecond=0))
    os.environ["DORA_DEFINITIONS_DIR"] = str(write_demo_definitions(home.root / "definitions", scenario))
    with SimulatedOrg(scenario) as org:
        click.echo(f"Simulated org serving GitHub at {org.github_url} and PagerDuty at {org.pagerduty_url}", err=True)
        os.environ.update(demo_environment(org, scenario))
        run_pipeline(home)
    print_summary(home)
    click.echo(f"\nThe demo keeps its own data directory: DORA_HOME={home.root} dora status")
    click.echo(f"and its own definition files: {os.environ['DORA_DEFINITIONS_DIR']}")
