"""A build after each of several loads gives, in history and every mart, row for row what one build
of everything those loads brought gives (issue 18's property of incremental builds).

Each case is a random history (seeded, so a failure replays) of two repositories and a custom
service over January 2024, with test_dbt_pipeline's definitions, delivered in four dlt loads the
way hourly runs see it, with what makes incremental builds hard: records first loaded long after
they happened (a PR merged on Jan 3 arriving in the last load, after deployments that may ship it;
a PR whose merge commit was deployed before it arrived; a deployment arriving after a later one
shipped what is now its PR), deployments of older commits, PRs loaded
open and merged in a later load, merged PRs labelled again (a merged_pr deployment that starts or
stops counting), workflow runs re-run with the other conclusion (the repository's first deployment
among them: another becomes the baseline), incidents loaded open and resolved later, and rows
deleted at the source (dlt replaced them: they leave the raw table, but history keeps them). The
reference is one build over every record's last version, deleted ones included (what durable
history holds). The last load's build leaves out two incremental models, as a Dagster run of a
subset of the assets (or a failed test upstream) does, and one more build, with nothing new, must
catch up with it.
Definition edits and repository renames are left out: history keeps earlier evaluations by design
there (test_dbt_pipeline covers both). Beside the random part, each case
that one rule of the incremental shipments exists for (dbt_project/macros/reshipping.sql) runs
alone in a repository of its own (isolated_cases).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest
from reliability_fixtures import COMPARED_SCHEMAS, table_contents
from test_dbt_pipeline import (
    BUILD,
    DEPLOYMENT_DEFINITIONS,
    INCIDENT_DEFINITIONS,
    SERVICES,
    custom_incident,
    pagerduty,
    pr,
    run,
    ts,
)

from dbt_fixtures import DbtProjectCopy, DuckDBWarehouse, built_scenario, execute, load_rows

pytestmark = pytest.mark.slow  # six dbt builds per case

LOADS = 4
LOAD_IDS = [f"{1706745600 + 86400 * k}.000001" for k in range(LOADS)]  # Feb 1-4 2024, after the history
PARTIAL_BUILD = LOADS - 1  # the load whose build leaves these models out (dbt's own selection syntax)
LEFT_OUT = ["--exclude", "int_deployments_mapped", "changes"]
SEEDS = {"deployment_definitions": DEPLOYMENT_DEFINITIONS + "lab-deploy,workflow_run,lab/*,main,,,,deploy*,,,,,,,,,,\n"
                                   "lab-ship-a,workflow_run,lab/paths,main,,,,ship-a,,,,,,pa,,,,\n"
                                   "lab-ship-b,workflow_run,lab/paths,main,,,,ship-b,,,,,,pb,,,,\n",
         "incident_definitions": INCIDENT_DEFINITIONS,
         "services": "".join(line + ",,\n" for line in SERVICES.splitlines()).replace(",,\n", ",jira,paths\n", 1)
                     + "pa,,lab/paths,,,a/**\npb,,lab/paths,,,b/**\n"}


@dataclass
class Record:
    table: str
    versions: list[tuple[int, dict]]  # (load, row), loads increasing
    deleted_at: int | None = None  # the load whose raw table no longer has it


@dataclass
class History:
    records: list[Record] = field(default_factory=list)

    def add(self, rng: random.Random, table: str, *versions: dict) -> None:
        """Like hourly runs: a record arrives in the load of its week (up to Jan 8: the first), one in
        seven later; a later version in the same or a later load; one in ten is deleted after."""
        first = min(max(happened(versions[0]) - 2, 0) // 7, LOADS - 1)
        if rng.random() < 1 / 7:
            first = rng.randint(first, LOADS - 1)
        loads = [first] + sorted(rng.randint(first, LOADS - 1) for _ in versions[1:])
        deleted_at = loads[-1] + 1 if loads[-1] + 1 < LOADS and rng.random() < 0.1 else None
        self.records.append(Record(table, list(zip(loads, versions)), deleted_at))

    def load(self, k: int) -> dict[str, list[dict]]:
        rows: dict[str, list[dict]] = {}
        for record in self.records:
            rows.setdefault(record.table, []).extend(row for load, row in record.versions if load == k)
        return rows

    def deleted(self, k: int) -> list[tuple[str, object]]:
        return [(record.table, record.versions[-1][1]["id"]) for record in self.records if record.deleted_at == k]

    def last_versions(self) -> dict[str, list[dict]]:
        rows: dict[str, list[dict]] = {}
        for record in self.records:
            rows.setdefault(record.table, []).append(record.versions[-1][1])
        return rows


def happened(row: dict) -> int:
    """The day of January a record is about (a merge, a run's end, an incident's start)."""
    return max(int(row[field][8:10]) for field in ("merged_at", "updated_at", "created_at", "deployed_at")
               if row.get(field))


def at(rng: random.Random, first_day: int = 2, last_day: int = 27) -> tuple[int, int]:
    return rng.randint(first_day, last_day), rng.randint(0, 23)


def stamp(day: int, hour: int, plus_hours: int = 0) -> str:
    hour += plus_hours
    return ts(day + hour // 24, f"{hour % 24:02d}:00")


def random_history(seed: int) -> History:
    rng = random.Random(seed)
    history = History()
    merged = []  # (day, hour, sha) of acme/api merges into main
    for number in range(1, 21):  # acme/api: main, some develop
        day, hour = at(rng)
        base = "main" if rng.random() < 0.8 else "develop"
        row = pr(100 + number, "acme/api", number, base, stamp(day - 1, hour), stamp(day, hour - 1 if hour else 0),
                 stamp(day, hour), f"a{number}")
        if base == "main":
            merged.append((day, hour, f"a{number}"))
        if rng.random() < 0.3:  # loaded open, merged in a later load
            history.add(rng, "raw_github.pull_requests", {**row, "state": "open", "merged_at": None, "closed_at": None,
                                                          "merge_commit_sha": None}, row)
        else:
            history.add(rng, "raw_github.pull_requests", row)
    label_sets = [[], [], ["hotfix"], ["no-deploy"], ["feature", "ui"]]
    for number in range(21, 33):  # acme/web, deployed by merged_pr definitions
        day, hour = at(rng)
        row = pr(200 + number, "acme/web", number, rng.choice(["main", "main", "release/1.2"]), stamp(day - 1, hour),
                 stamp(day, 0), stamp(day, hour), f"w{number}", rng.choice(label_sets),
                 author=rng.choice(["dev", "dev", "dev", "dependabot[bot]"]))
        if rng.random() < 0.3:  # labelled again after the merge: it may start or stop being its own deployment
            history.add(rng, "raw_github.pull_requests", row, {**row, "labels": rng.choice(label_sets)})
        else:
            history.add(rng, "raw_github.pull_requests", row)
    for number in range(1, 13):  # deploy runs of acme/api, often of an older merge than the newest
        day, hour, sha = rng.choice(merged)
        done = stamp(day, hour, rng.randint(1, 60))
        first = run(300 + number, "deploy-prod", sha, done, conclusion=rng.choice(["success", "success", "failure"]))
        if rng.random() < 0.3:  # re-run: attempt 2 with the other conclusion, later
            other = "failure" if first["conclusion"] == "success" else "success"
            history.add(rng, "raw_github.workflow_runs", first,
                        run(300 + number, "deploy-prod", sha, stamp(day, hour, 70), conclusion=other, attempt=2))
        else:
            history.add(rng, "raw_github.workflow_runs", first)
    history.add(rng, "raw_github.workflow_runs", run(399, "deploy-prod", "zzz", stamp(*at(rng))))  # no PR's commit
    # A late merge: PR #50 (Jan 5 10:00) arrives in the last load, after the run that deployed its
    # merge commit, which until then counted PR #51 (12:00) as shipped up to its own time, 14:00
    history.records += [
        Record("raw_github.pull_requests", [(LOADS - 1, pr(150, "acme/api", 50, "main", ts(5, "08:00"), ts(5, "09:00"),
                                                           ts(5, "10:00"), "a50"))]),
        Record("raw_github.pull_requests", [(0, pr(151, "acme/api", 51, "main", ts(5, "08:00"), ts(5, "09:00"),
                                                   ts(5, "12:00"), "a51"))]),
        Record("raw_github.workflow_runs", [(0, run(350, "deploy-prod", "a50", ts(5, "14:00")))]),
    ]
    # acme/api's first deployment, before any merge (it ships nothing), fails when re-run: the
    # next deployment becomes the baseline, and what it shipped is no longer a change
    history.add(rng, "raw_github.workflow_runs", run(398, "deploy-prod", "zzy", stamp(1, 12)),
                run(398, "deploy-prod", "zzy", stamp(1, 14), conclusion="failure", attempt=2))
    for number in range(1, 9):
        day, hour = at(rng)
        service = rng.choice(["API Production", "API Production", "Web Frontend", "Sandbox"])
        resolved = pagerduty(f"P{number}", service, stamp(day, hour), stamp(day, hour, rng.randint(1, 8)))
        if rng.random() < 0.4:  # loaded while open, resolved in a later load
            history.add(rng, "raw_pagerduty.incidents", pagerduty(f"P{number}", service, stamp(day, hour), None),
                        resolved)
        else:
            history.add(rng, "raw_pagerduty.incidents", resolved)
    for number in range(1, 4):
        day, hour = at(rng)
        history.add(rng, "raw_custom.deployments", {
            "id": f"dep-{number}", "service": "billing", "environment": "production", "commit_sha": f"b{number}",
            "deployed_at": stamp(day, hour), "received_at": stamp(day, hour)})
    day, hour = at(rng)
    history.add(rng, "raw_custom.incidents",
                custom_incident("inc-1", "billing", "high", stamp(day, hour), stamp(day, hour, 2), deployment_id="dep-1"))
    history.records += isolated_cases() + december_cases()
    return history


def isolated_cases() -> list[Record]:
    """Each case alone in a repository of its own (lab/*, deployed by the `lab-deploy` definition), so
    no other record loaded with it makes the build recompute what the case needs recomputed. Each
    repository's first run (Jan 2, of a commit no PR merged) is its baseline, unless said otherwise.
    A record is its versions, (load, row)."""
    last = LOADS - 1

    def lab_pr(number: int, repository: str, day: int, merged: str) -> dict:
        """PR #number, merged into main at `merged` on Jan `day` as commit m<number>."""
        return pr(100 + number, repository, number, "main", ts(day, "08:00"), ts(day, "09:00"), ts(day, merged),
                  f"m{number}")

    cases = {
        # a PR loaded late whose merge commit a run had deployed before the PR's merge time (the
        # clocks disagree): that run's cut-off rises from its own time, 14:00, to the merge, 15:00,
        # and it takes PR #61 (14:30), which the 14:45 run had shipped
        "lab/skewed-merge": [[(last, lab_pr(60, "lab/skewed-merge", 5, "15:00"))],
                             [(0, lab_pr(61, "lab/skewed-merge", 5, "14:30"))],
                             [(0, run(360, "deploy-prod", "m60", ts(5, "14:00")))],
                             [(0, run(361, "deploy-prod", "m61", ts(5, "14:45")))]],
        # a run loaded after a later run had shipped its commit's PR: #62 is now the earlier run's
        "lab/late-deploy": [[(0, lab_pr(62, "lab/late-deploy", 6, "10:00"))],
                            [(0, run(362, "deploy-prod", "m62", ts(6, "16:00")))],
                            [(last, run(363, "deploy-prod", "m62", ts(6, "12:00")))]],
        # a run that shipped PR #64 fails when re-run, later: #64 is the next run's
        "lab/rerun": [[(0, lab_pr(64, "lab/rerun", 8, "10:00"))],
                      [(0, run(364, "deploy-prod", "m64", ts(8, "12:00"))),
                       (last, run(364, "deploy-prod", "m64", ts(8, "14:00"), conclusion="failure", attempt=2))],
                      [(0, run(365, "deploy-prod", "m64", ts(9, "10:00")))]],
        # the first run fails when re-run, days later: the run that shipped PR #66 becomes the
        # baseline, and #66 is no longer a change
        "lab/rebase": [[(0, run(366, "deploy-prod", "z66", ts(2, "10:00"))),
                        (last, run(366, "deploy-prod", "z66", ts(10, "10:00"), conclusion="failure", attempt=2))],
                       [(0, lab_pr(66, "lab/rebase", 3, "10:00"))],
                       [(0, run(367, "deploy-prod", "m66", ts(3, "12:00")))]],
    }
    records = []
    for repository_id, (repository, case) in enumerate(cases.items(), start=11):
        if repository != "lab/rebase":
            case = [[(0, run(repository_id * 100, "deploy-prod", "z", ts(2, "10:00")))], *case]
        for versions in case:
            table = "raw_github.pull_requests" if "merged_at" in versions[0][1] else "raw_github.workflow_runs"
            records.append(Record(table, [(load, {**row, "repository": repository, "repository_id": repository_id})
                                          for load, row in versions]))
    return records


def december_cases() -> list[Record]:
    """The cases a rule of the incremental deployments mart exists for (dbt_project/macros/
    deployment_marks.sql: from when it recomputes), each in a repository and service of its own, in
    December 2023, before every other record, each changing in a load of its own, a later load's
    later in December: nothing else loaded with a case, nor a later case, makes the mart recompute
    its deployments. Each repository's first run (Dec 2, of a commit no PR merged) is its baseline."""
    last = LOADS - 1

    def dec(day: int, time: str) -> str:
        return f"2023-12-{day:02d} {time}:00+00"

    def lab_run(id: int, repository: str, day: int, time: str, workflow: str = "deploy-prod", sha: str = "z") -> dict:
        return {**run(id, workflow, sha, dec(day, time)), "repository": repository, "repository_id": id // 10}

    def lab_incident(id: str, service: str, created: str, resolved: str | None) -> dict:
        return custom_incident(id, service, "high", created, resolved)

    revert = {**pr(970, "lab/paths", 70, "main", dec(10, "08:00"), dec(10, "09:00"), dec(10, "10:00"), "p70"),
              "repository_id": 97, "title": 'Revert "nothing"'}
    return [
        # an incident loaded open and resolved in load 2, an hour after it was created: the
        # runs after that are no longer deployed while it was open (rework); the 10:00 run caused it
        *(Record("raw_github.workflow_runs", [(0, lab_run(id, "lab/open", day, time))])
          for id, day, time in [(950, 2, "10:00"), (951, 12, "10:00"), (952, 12, "16:00"), (953, 14, "10:00")]),
        Record("raw_custom.incidents", [(0, lab_incident("dec-open", "lab/open", dec(12, "12:00"), None)),
                                        (2, lab_incident("dec-open", "lab/open", dec(12, "12:00"), dec(12, "13:00")))]),
        # an incident loaded late (the last load), a day after the run it is attributed to
        *(Record("raw_github.workflow_runs", [(0, lab_run(id, "lab/late", day, "10:00"))])
          for id, day in [(960, 2), (961, 15)]),
        Record("raw_custom.incidents", [(last, lab_incident("dec-late", "lab/late", dec(16, "10:00"), dec(16, "11:00")))]),
        # a revert PR loaded without its changed files, shipped by the first run after its merge
        # (12:00, which deploys service pb); loaded again in load 1 with a file of service pa, it is
        # the pa run's (14:00): the 12:00 run no longer shipped a revert (rework)
        Record("raw_github.pull_requests", [(0, revert), (1, {**revert, "files": ["a/x.py"]})]),
        *(Record("raw_github.workflow_runs", [(0, lab_run(id, "lab/paths", day, time, workflow, sha))])
          for id, day, time, workflow, sha in [(970, 2, "10:00", "ship-a", "z"), (971, 10, "12:00", "ship-b", "p70"),
                                               (972, 10, "14:00", "ship-a", "p70")]),
    ]


def contents(project: DbtProjectCopy) -> dict[str, list[tuple]]:
    return table_contents(lambda sql: execute(project.warehouse, sql), COMPARED_SCHEMAS)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_build_after_each_load_equals_one_build_of_everything_loaded(seed, tmp_path):
    history = random_history(seed)
    root = tmp_path / "incremental"
    project = DbtProjectCopy.create(root / "dbt_project", DuckDBWarehouse(root / "warehouse.duckdb"))
    for name, text in SEEDS.items():
        project.write_seed(name, text)
    for k, load_id in enumerate(LOAD_IDS):
        for table, rows in history.load(k).items():
            load_rows(project.warehouse, table, rows, load_id)
        for table, id in history.deleted(k):
            execute(project.warehouse, f"delete from {table} where id = ?", [id])
        result = project.dbt(*BUILD, *(LEFT_OUT if k == PARTIAL_BUILD else []))
        assert result.success, result.text
    result = project.dbt(*BUILD)  # the next run: nothing new
    assert result.success, result.text

    reference = built_scenario(tmp_path / "reference", DuckDBWarehouse(tmp_path / "reference.duckdb"), SEEDS,
                               history.last_versions(), LOAD_IDS[-1], BUILD)

    # December's cases are as they say (december_cases), built whole
    december = execute(reference.warehouse, "select deployment_id, is_failed, is_rework from marts.deployments"
                                            " where deployed_at < '2024-01-01' order by deployment_id")
    assert december == [("workflow_run:950", False, False), ("workflow_run:951", True, False),
                        ("workflow_run:952", False, False), ("workflow_run:953", False, False),
                        ("workflow_run:960", False, False), ("workflow_run:961", True, False),
                        ("workflow_run:970", False, False), ("workflow_run:971", False, False),
                        ("workflow_run:972", False, True)]
    built, expected = contents(project), contents(reference)
    # Not an empty comparison: changes were shipped, deployments counted, and rows were deleted.
    assert len(expected["marts.changes"]) >= 10 and len(expected["marts.deployments"]) >= 10
    assert any(history.deleted(k) for k in range(LOADS))
    assert built.keys() == expected.keys()
    for table in expected:
        assert built[table] == expected[table], table
