"""The definition rules evaluated by Python and by dbt, on the same cases.

`dora define`, its preview and the dashboard read the definition files with dora.core; dbt checks
them in macros/validate_definitions.sql and matches records in macros/definition_filters.sql and
durable_history.sql. Here one table of cases runs through both, a preview's counts are compared
with what the next dbt build matches, and files of an earlier version (with Excel's byte-order
mark) are built by dbt like current ones.

The raw records (seeded random, January 2024) are candidates of every method the dbt fixtures can
load: merged PRs, workflow runs, releases, GitHub deployments, custom deployments; PagerDuty and
custom incidents.
"""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, Definitions
from dagster_dbt import DbtProject

from dbt_fixtures import DbtProjectCopy, execute, load_rows
from dora.core import definitions
from dora.core.definition_preview import match_sql, preview
from dora.core.published import DuckDBReader
from dora.core.home import Home
from dora.core.publish import publish
from orchestration.progress import step_progress
from orchestration.dbt_install import DBT_EXECUTABLE, DoraDbtCliResource
from orchestration.install import InstallResource
from orchestration.transformation import build_dbt_assets

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

LOAD = "1700000001.000001"
HISTORY = ["build", "--select", "+deployment_history", "+incident_history", "--exclude-resource-type", "unit_test"]
REEVALUATE = ["build", "--select", "deployment_definitions", "incident_definitions", "deployment_history",
              "incident_history", "--exclude-resource-type", "unit_test"]
DEPLOYMENT_COLUMNS = ["definition_id", "method", "repository", "branch", "label", "author", "title", "workflow",
                      "event", "conclusion", "tag", "environment", "state", "service", "project", "issue_type",
                      "status", "component", "paths"]
HISTORY_TABLES = {"deployment": "history.deployment_history", "incident": "history.incident_history"}
INCIDENT_COLUMNS = ["definition_id", "method", "service", "urgency", "priority", "team", "title", "project",
                    "issue_type", "label", "component", "repository"]
REWORK_COLUMNS = ["definition_id", "method", "repository", "branch", "label", "title", "service"]


def ts(day: int, hour: int) -> str:
    return f"2024-01-{day:02d} {hour:02d}:00:00+00"


# what the PRs changed (the `paths` filter of merged_pr); not drawn from the seeded random stream
CHANGED_FILES = [["services/api/main.py"], ["services/web/app.ts", "docs/readme.md"], [], ["Makefile", "api/x.py"]]


def raw_records(rng: random.Random) -> dict[str, list[dict]]:
    """A varied set of source records: values a random glob can hit and miss."""
    repositories = ["acme/web", "acme/api", "other/tools"]
    branches = ["main", "master", "release/1.2", "release/1.10", "feature/x", "dev"]
    people = ["alice", "bob", "dependabot[bot]", "Alice", None]
    labels = ["hotfix", "Hotfix", "ui", "no-deploy", "backend"]
    records: dict[str, list[dict]] = {table: [] for table in (
        "raw_github.pull_requests", "raw_github.workflow_runs", "raw_github.releases", "raw_github.deployments",
        "raw_custom.deployments", "raw_pagerduty.incidents", "raw_custom.incidents")}
    for n in range(24):
        day = 1 + n
        records["raw_github.pull_requests"].append({
            "id": 100 + n, "repository_id": n % 3, "repository": rng.choice(repositories), "number": n,
            "title": rng.choice(["Fix login", "Add ui", "chore: bump", "it's [WIP]"]), "author": rng.choice(people),
            "labels": rng.sample(labels, rng.randint(0, 3)), "base_ref": rng.choice(branches), "head_ref": "topic",
            "state": "merged", "created_at": ts(day, 8), "updated_at": ts(day, 10), "closed_at": ts(day, 10),
            "merged_at": ts(day, 10), "merge_commit_sha": f"m{n}", "first_commit_at": ts(day, 7),
            "html_url": f"https://pr/{n}", "files": CHANGED_FILES[n % len(CHANGED_FILES)]})
    for n in range(18):
        records["raw_github.workflow_runs"].append({
            "id": 300 + n, "repository_id": n % 3, "repository": rng.choice(repositories), "workflow_id": 1,
            "workflow_name": rng.choice(["deploy", "deploy-prod", "Deploy", "tests", "build"]),
            "head_branch": rng.choice(branches), "head_sha": f"r{n}",
            "event": rng.choice(["push", "schedule", "workflow_dispatch"]),
            "status": "completed", "conclusion": rng.choice(["success", "success", "failure", "cancelled"]),
            "run_attempt": 1, "run_started_at": ts(1 + n, 9), "created_at": ts(1 + n, 9), "updated_at": ts(1 + n, 10),
            "actor": rng.choice(people), "html_url": f"https://run/{n}"})
    for n in range(8):
        records["raw_github.releases"].append({
            "id": 400 + n, "repository_id": 1, "repository": rng.choice(repositories),
            "tag_name": rng.choice(["v1.0", "v1.1", "v2.0-rc", "nightly-1"]), "target_commitish": rng.choice(branches),
            "name": "r", "draft": False, "prerelease": False, "created_at": ts(2 + n, 9), "published_at": ts(2 + n, 10),
            "author": rng.choice(people), "html_url": f"https://rel/{n}"})
    for n in range(8):
        records["raw_github.deployments"].append({
            "id": 500 + n, "repository_id": 1, "repository": rng.choice(repositories), "sha": f"d{n}", "ref": "main",
            "task": "deploy", "environment": rng.choice(["production", "prod-eu", "staging"]),
            "created_at": ts(3 + n, 9), "updated_at": ts(3 + n, 10), "creator": "bot",
            "latest_status_state": rng.choice(["success", "failure", "error"]),
            "latest_status_at": ts(3 + n, 10), "latest_status_log_url": f"https://log/{n}"})
    for n in range(6):
        records["raw_custom.deployments"].append({
            "id": f"dep-{n}", "service": rng.choice(["billing", "api", "Billing"]),
            "environment": rng.choice(["production", "staging", None]), "commit_sha": f"c{n}",
            "deployed_at": ts(4 + n, 10), "received_at": ts(4 + n, 10)})
    for n in range(10):
        records["raw_pagerduty.incidents"].append({
            "id": f"PI{n}", "incident_number": n, "title": rng.choice(["DB down", "Latency high", "[P1] outage"]),
            "status": "resolved", "urgency": rng.choice(["high", "low"]), "priority": rng.choice(["P1", "P2", None]),
            "service_id": f"S{n % 3}", "service_name": ["API Production", "Web Frontend", "checkout-api"][n % 3],
            "teams": rng.sample(["sre", "payments", "Web"], rng.randint(0, 2)), "created_at": ts(5 + n, 9),
            "resolved_at": ts(5 + n, 11), "updated_at": ts(5 + n, 11), "last_status_change_at": ts(5 + n, 11),
            "html_url": f"https://pd/{n}"})
    for n in range(5):
        records["raw_custom.incidents"].append({
            "id": f"inc-{n}", "service": rng.choice(["billing", "api"]), "title": rng.choice(["slow", "down"]),
            "urgency": rng.choice(["high", "low", None]), "priority": rng.choice(["P1", None]),
            "created_at": ts(6 + n, 9),
            "resolved_at": ts(6 + n, 12), "received_at": ts(6 + n, 9)})
    return records


def definitions_hashes(project: DbtProjectCopy) -> dict[str, str]:
    """The definitions hash of the newest evaluation of each history."""
    return {kind: execute(project.warehouse, f"select definitions_hash from {table} "
                                             "order by definitions_version desc limit 1")[0][0]
            for kind, table in HISTORY_TABLES.items()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[DbtProjectCopy, dict[str, str]]:
    """The dbt project over the random records, built up to history under the shipped definitions,
    and the definitions hashes of that build."""
    root = tmp_path_factory.mktemp("definitions_in_dbt")
    project = DbtProjectCopy.create(root / "dbt_project", Home(root).warehouse)
    for table, rows in raw_records(random.Random(20240101)).items():
        load_rows(project.warehouse, table, rows, LOAD)
    result = project.dbt(*HISTORY)
    assert result.success, result.text
    return project, definitions_hashes(project)


@pytest.fixture(scope="module")
def project(built) -> DbtProjectCopy:
    return built[0]


@pytest.fixture
def seeds(project, monkeypatch) -> Path:
    """The project's seeds, put back after the test; dbt names them by DORA_DEFINITIONS_DIR as under dora."""
    directory = project.directory / "seeds"
    saved = {path: path.read_bytes() for path in directory.glob("*.csv")}
    monkeypatch.setenv("DORA_DEFINITIONS_DIR", str(directory))
    yield directory
    for path, content in saved.items():
        path.write_bytes(content)


def csv_line(columns: list[str], cells: dict[str, str]) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([cells.get(column, "") for column in columns])
    return line.getvalue()


def write_definitions(seeds: Path, deployments: list[str], incidents: list[str],
                      deployment_header: str = ",".join(DEPLOYMENT_COLUMNS),
                      incident_header: str = ",".join(INCIDENT_COLUMNS), rework: list[str] | None = None) -> None:
    """The deployment and incident files; the rework file too when `rework` is given."""
    (seeds / "deployment_definitions.csv").write_text("\n".join([deployment_header, *deployments]) + "\n")
    (seeds / "incident_definitions.csv").write_text("\n".join([incident_header, *incidents]) + "\n")
    if rework is not None:
        (seeds / "rework_definitions.csv").write_text("\n".join([",".join(REWORK_COLUMNS), *rework]) + "\n")


def dbt_problems(project: DbtProjectCopy, seeds: Path) -> tuple[set[tuple[str, int, str]], str]:
    """(file, line, column) of each problem dbt's validation reports ('' for a whole line), and its output."""
    result = project.dbt("run-operation", "validate_definitions")
    found = re.findall(rf"{re.escape(str(seeds))}/(\w+)\.csv line (\d+)(?: \(definition_id '[^']*'\))?: "
                       r"(?:column '([^']*)')?", result.text)
    assert result.success == (not found), result.text
    return {(name, int(line), column) for name, line, column in found}, result.text


def python_problems(seeds: Path) -> tuple[set[tuple[str, int, str]], list[str]]:
    errors, notices = definitions.check(seeds)
    return {(error.path.stem, error.line, error.column_name) for error in errors}, notices


def deployment_row(**cells: str) -> str:
    return csv_line(DEPLOYMENT_COLUMNS, cells)


def incident_row(**cells: str) -> str:
    return csv_line(INCIDENT_COLUMNS, cells)


def rework_row(**cells: str) -> str:
    return csv_line(REWORK_COLUMNS, cells)


# (row, the column dbt and Python must both name, or None); line n of the file is row n - 2.
DEPLOYMENT_CASES = [
    (deployment_row(definition_id="main", method="merged_pr", branch="main"), None),
    (deployment_row(method="merged_pr", branch="main"), "definition_id"),  # empty id
    (deployment_row(definition_id="twice", method="merged_pr", branch="main"), None),
    (deployment_row(definition_id="twice", method="merged_pr", branch="dev"), "definition_id"),  # duplicate in the file
    (deployment_row(definition_id="nightly", method="nightly"), "method"),  # unknown method
    (deployment_row(definition_id="unused", method="merged_pr", branch="main", workflow="deploy*"), "workflow"),
    (deployment_row(definition_id="no-branch", method="merged_pr", repository="acme/*"), "branch"),  # required
    (deployment_row(definition_id="unclosed", method="merged_pr", branch="main["), "branch"),
    (deployment_row(definition_id="negated-unclosed", method="merged_pr", branch="!rel["), "branch"),
    (deployment_row(definition_id="bare-bang", method="workflow_run", author="!"), "author"),
    (deployment_row(definition_id="sets", method="workflow_run", branch="[!m]*", workflow="deploy-[a-z]*"), None),
    (deployment_row(definition_id="escaped", method="merged_pr", branch="main\\["), None),
    ("short,merged_pr", ""),  # 2 cells
    (deployment_row(definition_id="long", method="merged_pr", branch="main") + ",extra", ""),  # 20 cells
    # an unknown method: only that is reported
    (deployment_row(definition_id="bad-method-bad-glob", method="nightly", branch="main["), "method"),
    (deployment_row(definition_id="default", method="github_deployment", environment=""), None),
    (deployment_row(definition_id="api-paths", method="merged_pr", branch="main", paths="!services/api/**"), None),
    (deployment_row(definition_id="paths-unclosed", method="merged_pr", branch="main", paths="src/[a"), "paths"),
    (deployment_row(definition_id="paths-of-runs", method="workflow_run", paths="src/*"), "paths"),  # merged_pr only
    # `service` names a services.csv service (here: api) outside custom, where it is a filter
    (deployment_row(definition_id="named", method="workflow_run", workflow="deploy-api", service="api"), None),
    (deployment_row(definition_id="named-unknown", method="github_deployment", service="billing"), "service"),
    (deployment_row(definition_id="named-glob", method="workflow_run", service="ap*"), "service"),
    (deployment_row(definition_id="custom-glob", method="custom", service="ap*"), None),
    (deployment_row(definition_id="custom-unclosed", method="custom", service="ap["), "service"),
]
INCIDENT_CASES = [
    (incident_row(definition_id="main", method="pagerduty"), "definition_id"),  # used in the deployment file
    (incident_row(definition_id="pd", method="pagerduty", urgency="high"), None),
    (incident_row(definition_id="jira", method="jira_issue", project="OPS", label="[x"), "label"),
    (incident_row(definition_id="pd-label", method="pagerduty", label="deploy"), "label"),  # not a pagerduty filter
    (incident_row(definition_id="custom", method="custom", service="!", title="x"), "service"),
    (incident_row(definition_id="issues", method="github_issue", label="incident", repository="acme/*"), None),
    (incident_row(definition_id="revert-label", method="revert", label="x"), "label"),  # revert: repository only
]
REWORK_CASES = [
    (rework_row(definition_id="open", method="open_incident", service="api*"), None),
    (rework_row(definition_id="open-label", method="open_incident", label="x"), "label"),
    (rework_row(definition_id="pd", method="revert_pr"), "definition_id"),  # used in the incident file
    (rework_row(definition_id="hotfix", method="hotfix_pr", branch="hotfix["), "branch"),
    (rework_row(definition_id="hotfix-label", method="hotfix_pr", label="hotfix", title="!*WIP*"), None),
]


def test_python_and_dbt_find_the_same_problems_in_the_rows(project, seeds):
    (seeds / "services.csv").write_text("service,team,repository,pagerduty_service,jira,paths\napi,core,acme/api,,,\n")
    write_definitions(seeds, [row for row, _ in DEPLOYMENT_CASES], [row for row, _ in INCIDENT_CASES],
                      rework=[row for row, _ in REWORK_CASES])
    expected = {(f"{kind}_definitions", line, column)
                for kind, cases in (("deployment", DEPLOYMENT_CASES), ("incident", INCIDENT_CASES),
                                    ("rework", REWORK_CASES))
                for line, (_, column) in enumerate(cases, start=2) if column is not None}
    assert len(expected) == 24
    assert python_problems(seeds) == (expected, [])
    assert dbt_problems(project, seeds)[0] == expected


def test_python_and_dbt_read_headers_the_same_way(project, seeds):
    # A typo (brnach) and a repeated column; an incident file without its method column. The typo
    # also leaves `branch` missing: both read it as empty, with the same notice.
    header = ",".join(DEPLOYMENT_COLUMNS).replace(",branch,", ",brnach,") + ",label"
    write_definitions(seeds, [deployment_row(definition_id="x", method="merged_pr", branch="main") + ","], [],
                      deployment_header=header, incident_header=",".join(c for c in INCIDENT_COLUMNS if c != "method"))
    expected = {("deployment_definitions", 1, "brnach"), ("deployment_definitions", 1, "label"),
                ("incident_definitions", 1, "method")}
    python, notices = python_problems(seeds)
    assert python == expected
    assert notices == [f"{seeds / 'deployment_definitions.csv'}: no column branch: read as empty "
                       "(`dora define upgrade` adds it)"]
    dbt, output = dbt_problems(project, seeds)
    assert dbt == expected
    assert notices[0] in output


# (value: a text, None or a list of labels; pattern; whether it matches), hand-worked from the rules.
FILTER_CASES = [
    ("main", "main", True), ("main", "mai", False), ("Main", "main", False), ("main", "ma*", True),
    ("main", "m?in", True), ("main", "m?n", False), ("release/1.2", "release/?.?", True),
    ("release/1.10", "release/?.?", False), ("a", "[abc]", True), ("d", "[abc]", False), ("d", "[!abc]", True),
    ("b", "[a-c]", True), ("main[", "main\\[", True), ("it's", "it's", True), ("main", "!main", False),
    ("dev", "!main", True), ("dev", "!ma*", True), (None, "", True), (None, "*", True), (None, "?*", False),
    (None, "!x", True), ("", "!*", False), ("x", "", True),
    (["hotfix", "ui"], "hot*", True), (["ui"], "hot*", False), ([], "hot*", False), (None, "hot*", False),
    (["Hotfix"], "hotfix", False), (["ui"], "!hot*", True), (["hotfix"], "!hot*", False), ([], "!x", True),
    (None, "!x", True), (["a", "b"], "?", True), ([], "", True),
]


def sql_value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"'{item}'" for item in value) + "]::varchar[]"
    return "null::varchar" if value is None else "'" + value.replace("'", "''") + "'"


def test_python_and_dbt_match_filters_the_same_way(project):
    cases = ", ".join(
        f"({n}, {isinstance(value, list)}, {sql_value(None if isinstance(value, list) else value)}, "
        f"{sql_value(value) if isinstance(value, list) else 'null::varchar[]'}, {sql_value(pattern)})"
        for n, (value, pattern, _) in enumerate(FILTER_CASES))
    shown = project.dbt("show", "--limit", "1000", "--inline", f"""
        select case_id, case when is_list then {{{{ any_value_matches('list_value', 'pattern') }}}}
                             else {{{{ filter_matches('scalar_value', 'pattern') }}}} end as matches
        from (values {cases}) as cases (case_id, is_list, scalar_value, list_value, pattern)
        order by case_id""")
    assert shown.success, shown.text
    by_dbt = [bool(row[1]) for row in shown.result.results[0].agate_table.rows]

    by_python = []
    with duckdb.connect() as con:
        for value, pattern, _ in FILTER_CASES:
            name = "label" if isinstance(value, list) else "branch"
            predicate, parameters = match_sql(DuckDBReader(con), {name: pattern} if pattern else {})
            scalar, labels = (None, value) if isinstance(value, list) else (value, None)
            con.execute("create or replace table cases as select ?::varchar as branch, ?::varchar[] as labels",
                        [scalar, labels])
            by_python.append(con.execute(f"select {predicate} from cases", parameters).fetchall()[0][0])
    assert by_python == by_dbt == [expected for _, _, expected in FILTER_CASES]


def random_pattern(rng: random.Random, values: list[str]) -> str:
    """A glob built from a value the records really have: whole, cut, with ? or a set, negated, or not."""
    value = rng.choice(values) or ""
    cut = rng.randint(0, len(value))
    at = rng.randrange(len(value)) if value else 0
    pattern = rng.choice([
        value, value[:cut] + "*", "*" + value[cut:], value.swapcase(), "*", "zz*",
        value[:at] + "?" + value[at + 1:], value[:at] + f"[{value[at:at + 1]}xy]" + value[at + 1:],
        value[:at] + "[!q]" + value[at + 1:],
    ])
    pattern = "!" + pattern if rng.random() < 0.3 else pattern
    return "*" if definitions.pattern_problem(pattern) else pattern


def stored_values(published: Path, kind: str, method: str, name: str) -> list[str]:
    """The values of one filter among the published candidates of a method."""
    column = definitions.LIST_FILTERS.get(name, name)
    selected = f"unnest({column})" if name in definitions.LIST_FILTERS else f'"{column}"'
    with duckdb.connect(str(published), read_only=True) as con:
        return [value for (value,) in con.execute(
            f"select distinct {selected} from {HISTORY_TABLES[kind]} where method = ? order by 1", [method]
        ).fetchall() if value is not None]


METHODS = {"deployment": ["merged_pr", "workflow_run", "release", "github_deployment", "custom"],
           "incident": ["pagerduty", "custom"]}


def test_previews_count_what_the_next_build_matches(project, seeds):
    # Rounds of one random definition per method (methods never share a candidate, so each
    # definition's matches are the method's deployments/incidents after the build). The previews
    # read one published file; each build then re-evaluates every candidate under the definitions.
    home = Home(project.warehouse.path.parent / "publishing").ensure()
    execute(project.warehouse, "checkpoint")  # dbt-duckdb may still hold the file open in this process:
    shutil.copyfile(project.warehouse.path, home.warehouse)  # publish a copy, as `dora run` publishes the warehouse
    publish(home)
    catalog = definitions.load_catalog(seeds)
    rng = random.Random(7)
    previewed, built = {}, {}
    for round_number in range(3):
        rows = {kind: [] for kind in METHODS}
        for kind, methods in METHODS.items():
            for method in methods:
                row = {"definition_id": f"r{round_number}-{kind}-{method}", "method": method}
                # a column of role `name` (a workflow's service) matches nothing: not drawn
                filters = {name: each for name, each in catalog[(kind, method)].items() if not each.names}
                required = [name for name, method_filter in filters.items() if method_filter.required]
                for name in {*rng.sample(list(filters), rng.randint(0, min(3, len(filters)))), *required}:
                    row[name] = random_pattern(rng, stored_values(home.published, kind, method, name) or [""])
                rows[kind].append(row)
                previewed[(round_number, kind, method)] = preview(home.published, kind, row, catalog)
        write_definitions(seeds, [csv_line(DEPLOYMENT_COLUMNS, row) for row in rows["deployment"]],
                          [csv_line(INCIDENT_COLUMNS, row) for row in rows["incident"]])
        assert definitions.check(seeds) == ([], [])
        result = project.dbt(*REEVALUATE)
        assert result.success, result.text
        for kind in METHODS:
            for method, matched, candidates in execute(project.warehouse, f"""
                    select method, count(*) filter (where is_{kind}), count(*) from {HISTORY_TABLES[kind]}
                    group by method"""):
                built[(round_number, kind, method)] = (matched, candidates)
    assert {key: (p.matched, p.candidates) for key, p in previewed.items()} == built
    # the random definitions did select something: some match none, some all, some part of their method
    shares = {"none" if matched == 0 else "all" if matched == total else "part" for matched, total in built.values()}
    assert shares == {"none", "all", "part"}


def test_a_file_of_an_earlier_version_saved_by_excel_builds_like_the_current_one(built, seeds):
    # The shipped definitions in the columns of an earlier version (branch moved first by hand),
    # with a byte-order mark: dbt loads them by name, adds the missing columns empty, and evaluates
    # them exactly as the current files (the same definitions hash as the fixture's build of them).
    project, shipped_hashes = built
    (seeds / "deployment_definitions.csv").write_bytes(
        b"\xef\xbb\xbfbranch,definition_id,method,repository,label,author,title,workflow,event,conclusion,tag,"
        b"environment,state,service\n"
        b"main,merged-to-main,merged_pr,,,,,,,,,,,\nmaster,merged-to-master,merged_pr,,,,,,,,,,,\n"
        b",custom-api-deployments,custom,,,,,,,,,,,\n")
    (seeds / "incident_definitions.csv").write_text("definition_id,method,service,urgency,priority,team,title\n"
                                                    "all-pagerduty,pagerduty,,,,,\ncustom-api-incidents,custom,,,,,\n")
    result = project.dbt(*REEVALUATE)
    assert result.success, result.text
    assert f"{seeds / 'incident_definitions.csv'}: no column project, issue_type, label, component, repository: " \
           "read as empty (`dora define upgrade` adds them)" in result.text
    assert definitions_hashes(project) == shipped_hashes
    assert sorted(execute(project.warehouse, "select column_name from information_schema.columns "
                                             "where table_name = 'deployment_definitions'")) == sorted(
        (column,) for column in DEPLOYMENT_COLUMNS)


def test_a_run_shows_the_validation_message_without_dagsters_wrapping(project, seeds, tmp_path, monkeypatch,
                                                                      capsys):
    # The dbt assets of `dora run`, with its one-line-per-step logger, over this project's parsed
    # manifest and an empty warehouse (the run stops at validation, before anything is built).
    with (seeds / "deployment_definitions.csv").open("a") as handle:
        handle.write("typo,merged_pr,,main[,,,,,,,,,,,,,,,\n")
    home = Home(tmp_path).ensure()
    monkeypatch.setenv("DORA_WAREHOUSE", str(home.warehouse))
    dbt_project = DbtProject(project_dir=project.directory, profiles_dir=project.directory)
    job = Definitions(
        assets=[build_dbt_assets(dbt_project)],
        resources={"dbt": DoraDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
                   "install": InstallResource(home_dir=str(home.root), definitions_dir=str(seeds))},
        loggers={"step_progress": step_progress},
    ).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False,
                                    asset_selection=[AssetKey(["definitions", "deployment_definitions"])],
                                    run_config={"loggers": {"step_progress": {}}})
    assert not result.success
    # dbt's own error, naming the file where the user keeps it (DORA_DEFINITIONS_DIR), and nothing of
    # dagster-dbt's block about the command and its logs
    assert capsys.readouterr().err.splitlines() == [
        "  … dora_dbt",
        "  ✗ dora_dbt: Compilation Error in operation dora-on-run-start-0 (./dbt_project.yml)",
        "  Invalid definitions:",
        f"  {seeds / 'deployment_definitions.csv'} line 5 (definition_id 'typo'): column 'branch' has an unclosed "
        "'[' in 'main['",
        "  ",
        "  > in macro validate_definitions (macros/validate_definitions.sql)",
        "  > called by operation dora-on-run-start-0 (./dbt_project.yml)",
    ]
