"""`dora demo`: the pipeline against a simulated organisation, in its own data directory.

The demo keeps its data and its definition files apart from a real install (history is
durable: simulated records must never land in a real warehouse), and defines deployments,
incidents and services the way the simulated org's teams would: the `deploy` workflow on main
(GitHub) and push pipelines on main (GitLab); every PagerDuty incident, Jira issue of type
Incident, GitHub issue labelled incident and revert; rework as shipped (reverts, deployments
during an open incident) plus hotfix/* branches; each product's repositories or GitLab projects,
PagerDuty service or Jira component mapped to one service and team.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import click

from dora.core.environment import environment_set
from dora.core.home import DBT_PROJECT_DIR, Home
from dora.core.warehouse import open_warehouse
from dora.run_cli import print_summary, run_pipeline, warehouse_option
from simorg.generate import JIRA_PROJECT, team_of
from simorg.scenario import Scenario

# A definition only matches records of its own source, so a scenario without GitLab or Jira
# simply has none of theirs.
DEMO_DEPLOYMENTS = [
    {"definition_id": "deploy-workflow", "method": "workflow_run", "workflow": "deploy", "branch": "main"},
    {"definition_id": "gitlab-main-pipelines", "method": "gitlab_pipeline", "branch": "main", "event": "push"},
]
DEMO_INCIDENTS = [  # + shipped
    {"definition_id": "jira-incidents", "method": "jira_issue", "issue_type": "Incident"},
    {"definition_id": "github-incidents", "method": "github_issue", "label": "incident"},
    {"definition_id": "reverts", "method": "revert"},
]
DEMO_REWORK = [{"definition_id": "hotfix-branches", "method": "hotfix_pr", "branch": "hotfix/*"}]  # + shipped
# Marks a directory as the demo's own (see demo_home).
DEMO_MARKER = ".dora-demo"


def demo_environment(org, scenario: Scenario) -> dict[str, str]:
    """dlt settings (environment variables) that point every source the scenario has at the
    simulated org."""
    environment = {
        "SOURCES__GITHUB__ACCESS_TOKEN": scenario.github_token,
        "SOURCES__GITHUB__BASE_URL": org.github_url,
        "SOURCES__GITHUB__GRAPHQL_URL": org.github_graphql_url,
        "SOURCES__GITHUB__OWNER": scenario.repos[0].owner,
        "SOURCES__GITHUB__ISSUES": "true",
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
            "SOURCES__JIRA__JQL": f"project in ({', '.join(sorted({issue.project for issue in scenario.jira_issues}))})",
        }
    return environment


def write_demo_definitions(directory: Path, scenario: Scenario) -> Path:
    """The shipped definition files, with the demo org's deployments and services filled in.

    A file already in `directory` is left as it is: the demo invites editing its definitions, so
    a second run must not undo the edits (a deleted file comes back as the demo's)."""
    directory.mkdir(parents=True, exist_ok=True)
    demo_rows = {
        "deployment_definitions.csv": lambda path: DEMO_DEPLOYMENTS,
        "incident_definitions.csv": lambda path: [*_rows(path), *DEMO_INCIDENTS],
        "rework_definitions.csv": lambda path: [*_rows(path), *DEMO_REWORK],
        "services.csv": lambda path: _demo_services(scenario),
    }
    for seed in (DBT_PROJECT_DIR / "seeds").glob("*.csv"):
        target = directory / seed.name
        if target.exists():
            continue
        shutil.copyfile(seed, target)
        if seed.name in demo_rows:
            rewrite_definition_file(target, demo_rows[seed.name](target))
    return directory


def _demo_services(scenario: Scenario) -> list[dict[str, str]]:
    """services.csv of the demo org: each product's repositories, PagerDuty service, GitLab group
    and Jira component are one service of one team."""
    services = [
        {
            "service": service.name,
            "team": service.teams[0] if service.teams else "",
            "repository": f"{scenario.repos[0].owner}/{service.name}-*",
            "pagerduty_service": service.name,
        }
        for service in scenario.pagerduty_services
    ]
    # A GitLab team's group is `owner/product`; its incidents are Jira issues with the product as
    # first component.
    for group in sorted({project.namespace for project in scenario.gitlab_projects}):
        product = group.rsplit("/", 1)[-1]
        services.append({"service": product, "team": team_of(product), "repository": f"{group}/*",
                         "jira": f"{JIRA_PROJECT}/{product}"})
    return services


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def rewrite_definition_file(path: Path, rows: list[dict[str, str]]) -> None:
    """Replace a definition file's rows, keeping its header (its columns)."""
    with open(path, newline="") as handle:
        header = next(csv.reader(handle))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@click.command()
@warehouse_option
def demo(warehouse: str | None) -> None:
    """Run the pipeline against a built-in simulated organisation (GitHub + PagerDuty, GitLab + Jira)."""
    from simorg.generate import demo_scenario
    from simorg.server import SimulatedOrg

    home = demo_home().ensure()
    chosen = open_warehouse(home, warehouse)
    chosen.claim_for_demo()
    (home.root / DEMO_MARKER).write_text("The data of `dora demo`'s simulated organisation.\n")
    scenario = demo_scenario(datetime.now(timezone.utc).replace(microsecond=0))
    definitions = write_demo_definitions(home.root / "definitions", scenario)
    with SimulatedOrg(scenario) as org:
        click.echo(f"Simulated org serving GitHub at {org.github_url}, PagerDuty at {org.pagerduty_url}, "
                   f"GitLab at {org.gitlab_url} and Jira at {org.jira_url}", err=True)
        with environment_set(demo_environment(org, scenario)):
            run_pipeline(home, definitions, chosen)
    print_summary(home, chosen)
    chosen_option = f" --warehouse {chosen.kind}" if warehouse else ""  # `dora status` reads the configured one
    click.echo(f"\nThe demo keeps its own data directory: DORA_HOME={home.root} dora status{chosen_option}")
    click.echo(f"and its own definition files, kept as you edit them (delete one to get the demo's back): "
               f"{definitions}")


def demo_home() -> Home:
    """`$DORA_HOME/demo`; or DORA_HOME itself when it is the demo's directory already (the one the
    demo prints) or a new directory named `demo`, so that running the demo there does not nest
    `demo/demo`. Never an existing install's directory: simulated records must not reach a real
    history."""
    root = Home.from_env().root
    if (root / DEMO_MARKER).exists() or (root.name == "demo" and not Home(root).warehouse.exists()):
        return Home(root)
    return Home(root / "demo")
