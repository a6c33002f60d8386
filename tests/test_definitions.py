"""dora.core.definitions and its edits and preview: validation against definition_methods.csv, files of
earlier versions, safe edits of the seeds, the preview."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import duckdb
import pytest
from self_service_fixtures import published, seeds  # noqa: F401 (fixtures)

from dora.core import definition_edits, definitions
from dora.core.definition_edits import DefinitionRejected, add_definition, remove_definition, upgrade_definitions
from dora.core.definition_preview import Preview, preview

DEPLOYMENT_HEADER = "definition_id,method,repository,branch,label,author,title,workflow,event,conclusion,tag," \
                    "environment,state,service,project,issue_type,status,component,paths\n"
INCIDENT_HEADER = "definition_id,method,service,urgency,priority,team,title,project,issue_type,label,component," \
                  "repository\n"
# The files as written before the GitLab and Jira columns (and the incidents' repository) existed.
OLD_DEPLOYMENT_HEADER = "definition_id,method,repository,branch,label,author,title,workflow,event,conclusion,tag," \
                        "environment,state,service\n"
OLD_INCIDENT_HEADER = "definition_id,method,service,urgency,priority,team,title\n"


def errors_of(directory) -> list[str]:
    errors, _ = definitions.check(directory)
    return [f"{error.path.name}:{error.line}:{error.column}: {error.message}" for error in errors]


def rows_of(directory, kind) -> list[dict[str, str]]:
    return [row for _, row in definitions.read_definitions(directory, kind, definitions.load_catalog(directory)).rows]


def test_shipped_definitions_are_valid(seeds):
    assert definitions.check(seeds) == ([], [])


def test_check_reports_file_line_and_column_of_each_error(seeds):
    (seeds / "deployment_definitions.csv").write_text(DEPLOYMENT_HEADER + textwrap.dedent("""\
        ok,merged_pr,,main,,,,,,,,,,,,,,,
        bad-method,nightly,,,,,,,,,,,,,,,,,
        ,merged_pr,,main,,,,,,,,,,,,,,,
        ok,merged_pr,,main,,,,,,,,,,,,,,,
        wrong-filter,merged_pr,,main,,,,deploy*,,,,,,,,,,,
        no-branch,merged_pr,acme/*,,,,,,,,,,,,,,,,
        short,merged_pr
        """))
    (seeds / "incident_definitions.csv").write_text("definition_id,method,service,urgency,priority,team,title,"
                                                    "project,issue_type,label,component\n"
                                                    "no-branch,pagerduty,,,,,,,,,\n")
    assert errors_of(seeds) == [
        "deployment_definitions.csv:3:2: unknown deployment method 'nightly'; "
        "known: merged_pr, workflow_run, release, github_deployment, custom, gitlab_merged_mr, gitlab_pipeline, "
        "gitlab_deployment, jira_issue",
        "deployment_definitions.csv:4:1: empty definition_id",
        "deployment_definitions.csv:5:1: duplicate definition_id 'ok' (first at deployment_definitions.csv line 2)",
        # column 8 = workflow (definition_id, method, repository, branch, label, author, title, workflow)
        "deployment_definitions.csv:6:8: method merged_pr does not use filter 'workflow'; "
        "its filters: repository, branch, label, author, title, paths, service",
        "deployment_definitions.csv:7:4: method merged_pr requires filter 'branch'",
        "deployment_definitions.csv:8:1: 2 cells, header has 19",
        "incident_definitions.csv:2:1: duplicate definition_id 'no-branch' "
        "(first at deployment_definitions.csv line 7)",
    ]


def test_a_header_typo_names_the_unknown_column(seeds):
    (seeds / "deployment_definitions.csv").write_text(DEPLOYMENT_HEADER.replace(",branch,", ",brnach,")
                                                      + "merged-to-main,merged_pr,,main,,,,,,,,,,,,,,,\n")
    (seeds / "incident_definitions.csv").write_text("definition_id,method,service,severity,urgency\n")
    assert errors_of(seeds) == [
        "deployment_definitions.csv:1:4: unknown column 'brnach' (did you mean 'branch'?)",
        "incident_definitions.csv:1:4: unknown column 'severity'",
    ]


def test_files_of_an_earlier_version_read_their_missing_columns_as_empty(seeds):
    (seeds / "deployment_definitions.csv").write_text(OLD_DEPLOYMENT_HEADER + "main,merged_pr,,main,,,,,,,,,,\n")
    (seeds / "incident_definitions.csv").write_text(OLD_INCIDENT_HEADER + "all-pagerduty,pagerduty,,,,,\n")
    assert definitions.check(seeds) == ([], [
        f"{seeds / 'deployment_definitions.csv'}: no column project, issue_type, status, component, paths: read as "
        "empty (`dora define upgrade` adds them)",
        f"{seeds / 'incident_definitions.csv'}: no column project, issue_type, label, component, repository: read "
        "as empty (`dora define upgrade` adds them)",
    ])
    assert rows_of(seeds, "incident") == [{"definition_id": "all-pagerduty", "method": "pagerduty", "service": "",
                                           "urgency": "", "priority": "", "team": "", "title": "", "project": "",
                                           "issue_type": "", "label": "", "component": "", "repository": ""}]
    # a row needing a missing column is still checked: it reads as empty
    with (seeds / "deployment_definitions.csv").open("a") as handle:
        handle.write("jira,jira_issue,,,,,,,,,,,,\n")
    assert errors_of(seeds) == []  # jira_issue requires nothing

    assert upgrade_definitions(seeds) == {"deployment_definitions.csv": ["project", "issue_type", "status", "component", "paths"],
                                          "incident_definitions.csv": ["project", "issue_type", "label", "component",
                                                                       "repository"]}
    assert (seeds / "deployment_definitions.csv").read_text() == (
        DEPLOYMENT_HEADER + "main,merged_pr,,main,,,,,,,,,,,,,,,\njira,jira_issue,,,,,,,,,,,,,,,,,\n")
    assert (seeds / "incident_definitions.csv").read_text() == INCIDENT_HEADER + "all-pagerduty,pagerduty,,,,,,,,,,\n"
    assert definitions.check(seeds) == ([], [])
    assert upgrade_definitions(seeds) == {}  # nothing left to add: the files are not rewritten


def test_a_missing_rework_file_is_an_error_that_an_upgrade_fixes_with_the_shipped_definitions(seeds):
    # a definitions directory written before rework definitions existed
    rework = seeds / "rework_definitions.csv"
    shipped = rework.read_text()
    rework.unlink()
    message = f"{rework}:1:1: missing file: `dora define upgrade` writes it with the shipped definitions"
    assert [str(error) for error in definitions.check(seeds)[0]] == [message]
    assert definitions.notices(seeds) == [message]
    with pytest.raises(definitions.DefinitionsInvalid, match="missing file"):
        add_definition(seeds, "rework", "hotfix_pr", {"label": "hotfix"})

    assert upgrade_definitions(seeds) == {"rework_definitions.csv": None}
    assert rework.read_text() == shipped == (
        "definition_id,method,repository,branch,label,title,service\n"
        "during-open-incident,open_incident,,,,,\n"
        "shipped-reverts,revert_pr,,,,,\n")
    assert definitions.check(seeds) == ([], [])


def test_unknown_columns_stop_an_upgrade_and_an_edit_before_anything_is_written(seeds):
    path = seeds / "deployment_definitions.csv"
    path.write_text(OLD_DEPLOYMENT_HEADER.replace("\n", ",notes\n") + "main,merged_pr,,main,,,,,,,,,,,keep me\n")
    before = path.read_bytes()
    for edit in (lambda: upgrade_definitions(seeds),
                 lambda: add_definition(seeds, "deployment", "merged_pr", {"branch": "dev"}),
                 lambda: remove_definition(seeds, "main")):
        with pytest.raises(definitions.DefinitionsInvalid, match="unknown column 'notes'"):
            edit()
    assert path.read_bytes() == before


def test_a_byte_order_mark_is_read_as_nothing(seeds):
    # Excel's "CSV UTF-8" starts the file with U+FEFF
    for kind in ("deployment", "incident"):
        path = definitions.definition_file(seeds, kind)
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert definitions.check(seeds) == ([], [])
    assert [row["definition_id"] for row in rows_of(seeds, "deployment")] == [
        "merged-to-main", "merged-to-master", "custom-api-deployments"]
    add_definition(seeds, "incident", "pagerduty", {"urgency": "high"}, "urgent")
    assert [row["definition_id"] for row in rows_of(seeds, "incident")] == ["all-pagerduty", "custom-api-incidents", "urgent"]


@pytest.mark.parametrize(("pattern", "problem"), [
    ("main[", "unclosed '[' in 'main[' (a set needs its ']'; a literal [ is written \\[)"),
    ("![ab", "unclosed '[' in '![ab' (a set needs its ']'; a literal [ is written \\[)"),
    ("[ab]x[", "unclosed '[' in '[ab]x[' (a set needs its ']'; a literal [ is written \\[)"),
    ("!", "'!' alone negates nothing (write !<pattern>)"),
    (" ! ", "'!' alone negates nothing (write !<pattern>)"),
])
def test_globs_that_can_never_match_are_refused(seeds, pattern, problem):
    with pytest.raises(DefinitionRejected) as rejected:
        add_definition(seeds, "deployment", "merged_pr", {"branch": pattern})
    assert rejected.value.problems == [("branch", problem)]
    (seeds / "incident_definitions.csv").write_text(INCIDENT_HEADER + f"x,pagerduty,{pattern},,,,,,,,,\n")
    assert errors_of(seeds) == [f"incident_definitions.csv:2:3: {problem}"]


@pytest.mark.parametrize("pattern", ["main", "release/[0-9]*", "[!a]*", "main\\[", "[[]x", "!main", "!*bot*"])
def test_globs_that_can_match_are_kept(seeds, pattern):
    assert add_definition(seeds, "deployment", "merged_pr", {"branch": pattern}, "b")["branch"] == pattern
    assert definitions.check(seeds) == ([], [])


def test_rules_come_from_definition_methods_csv(seeds):
    # make `workflow` required for workflow_run in the methods file only: validation must follow
    methods = seeds / "definition_methods.csv"
    methods.write_text(methods.read_text().replace("workflow_run,workflow,false", "workflow_run,workflow,true"))
    with pytest.raises(DefinitionRejected) as rejected:
        add_definition(seeds, "deployment", "workflow_run", {"branch": "main"})
    assert rejected.value.problems == [("workflow", "method workflow_run requires filter 'workflow'")]


def test_add_appends_one_row_with_a_readable_unique_id(seeds):
    path = seeds / "deployment_definitions.csv"
    files = sorted(p.name for p in seeds.iterdir())
    reader = path.open()  # a reader that opened the file before the edit, like a running `dbt seed`
    first = add_definition(seeds, "deployment", "workflow_run",
                                       {"repository": "acme/*", "workflow": "deploy*", "branch": "main"})
    second = add_definition(seeds, "deployment", "workflow_run",
                                        {"repository": "acme/*", "workflow": "deploy*", "branch": "main"})
    assert (first["definition_id"], second["definition_id"]) == ("workflow_run-acme-main-deploy",
                                                                 "workflow_run-acme-main-deploy-2")
    assert path.read_text().splitlines()[-2:] == [
        "workflow_run-acme-main-deploy,workflow_run,acme/*,main,,,,deploy*,,,,,,,,,,,",
        "workflow_run-acme-main-deploy-2,workflow_run,acme/*,main,,,,deploy*,,,,,,,,,,,",
    ]
    # replaced, not rewritten in place: the earlier reader still sees the whole old file
    assert os.fstat(reader.fileno()).st_ino != path.stat().st_ino
    assert reader.read() == DEPLOYMENT_HEADER + "merged-to-main,merged_pr,,main,,,,,,,,,,,,,,,\n" \
                                                "merged-to-master,merged_pr,,master,,,,,,,,,,,,,,,\n" \
                                                "custom-api-deployments,custom,,,,,,,,,,,,,,,,,\n"
    reader.close()
    assert sorted(p.name for p in seeds.iterdir()) == files  # no temp or lock file left behind
    assert definitions.check(seeds) == ([], [])


def test_a_failed_write_leaves_the_seed_untouched(seeds, monkeypatch):
    path = seeds / "deployment_definitions.csv"
    before = path.read_bytes()
    files = sorted(p.name for p in seeds.iterdir())

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(definition_edits.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        add_definition(seeds, "deployment", "merged_pr", {"branch": "release/*"})
    assert path.read_bytes() == before
    assert sorted(p.name for p in seeds.iterdir()) == files


def test_glob_values_with_quotes_and_commas_survive_the_csv(seeds):
    add_definition(seeds, "deployment", "merged_pr",
                               {"branch": "main", "title": "it's, \"quoted\""}, "quoted")
    assert rows_of(seeds, "deployment")[-1]["title"] == "it's, \"quoted\""


def test_remove_deletes_only_that_row(seeds):
    assert remove_definition(seeds, "merged-to-master") == "deployment"
    assert remove_definition(seeds, "all-pagerduty") == "incident"
    assert [row["definition_id"] for row in rows_of(seeds, "deployment")] == ["merged-to-main", "custom-api-deployments"]
    assert [row["definition_id"] for row in rows_of(seeds, "incident")] == ["custom-api-incidents"]
    with pytest.raises(KeyError):
        remove_definition(seeds, "merged-to-master")


def test_two_concurrent_writers_keep_every_row(seeds, tmp_path):
    start = tmp_path / "start"
    writer = textwrap.dedent("""\
        import sys, time
        from pathlib import Path
        from dora.core.definition_edits import add_definition
        print("ready", flush=True)
        while not Path(sys.argv[3]).exists():  # both writers start together, to overlap as much as possible
            time.sleep(0.001)
        for n in range(30):
            add_definition(Path(sys.argv[1]), "deployment", "merged_pr", {"branch": "main"}, f"{sys.argv[2]}-{n}")
        """)
    processes = [subprocess.Popen([sys.executable, "-c", writer, str(seeds), name, str(start)],
                                  stdout=subprocess.PIPE, text=True) for name in ("a", "b")]
    assert [process.stdout.readline() for process in processes] == ["ready\n", "ready\n"]
    start.touch()
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    ids = [row["definition_id"] for row in rows_of(seeds, "deployment")]
    # 3 shipped rows + 30 from each writer
    assert sorted(ids) == sorted(["merged-to-main", "merged-to-master", "custom-api-deployments"]
                                 + [f"{name}-{n}" for name in "ab" for n in range(30)])


PREVIEW_CASES = [
    # workflow_run candidates: wr-1..wr-6 = 6 (wr-1 has two history rows, counted once).
    # acme/* + deploy* + main + default conclusion success: wr-1, wr-2 (wr-3 failed, wr-4 other org,
    # wr-5 feature branch, wr-6 evil/...) = 2
    ("deployment", {"method": "workflow_run", "repository": "acme/*", "workflow": "deploy*", "branch": "main"}, 2, 6),
    # negation overrides the default: only wr-3 failed among acme/* deploy* main
    ("deployment", {"method": "workflow_run", "repository": "acme/*", "workflow": "deploy*", "branch": "main",
                    "conclusion": "!success"}, 1, 6),
    # `?` is one character: deploy-pro? matches deploy-prod (wr-1, wr-4; wr-3 failed) = 2
    ("deployment", {"method": "workflow_run", "workflow": "deploy-pro?"}, 2, 6),
    # merged_pr candidates pr-1..pr-4 = 4; label hotfix: pr-1 only (pr-4 has `Hotfix`: case-sensitive)
    ("deployment", {"method": "merged_pr", "branch": "main", "label": "hotfix"}, 1, 4),
    # no label matches hotfix: pr-2 (empty list), pr-3 (no labels), pr-4
    ("deployment", {"method": "merged_pr", "branch": "main", "label": "!hotfix"}, 3, 4),
    # SQL in a pattern is inert: matched literally against the value, it finds only wr-6
    ("deployment", {"method": "workflow_run", "repository": "evil/x' or 1=1"}, 1, 6),
    ("deployment", {"method": "workflow_run", "repository": "x' or '1'='1"}, 0, 6),
    ("deployment", {"method": "workflow_run", "repository": "'); drop table history.deployment_history; --"}, 0, 6),
    # pagerduty candidates pd-1..pd-3; checkout* and high: pd-1
    ("incident", {"method": "pagerduty", "service": "checkout*", "urgency": "high"}, 1, 3),
    ("incident", {"method": "pagerduty"}, 3, 3),
]


@pytest.mark.parametrize(("kind", "row", "matched", "candidates"), PREVIEW_CASES)
def test_preview_counts_published_candidates(seeds, published, kind, row, matched, candidates):
    catalog = definitions.load_catalog(seeds)
    assert preview(published, kind, row, catalog) == Preview(matched, candidates)
    # the published file is intact afterwards (the drop-table pattern did nothing)
    assert preview(published, "deployment", {"method": "merged_pr"}, catalog).candidates == 4


def test_preview_without_a_published_file_or_history(seeds, home):
    catalog = definitions.load_catalog(seeds)
    assert preview(home.published, "incident", {"method": "pagerduty"}, catalog) is None
    duckdb.connect(str(home.published)).close()  # published, but no history schema yet
    assert preview(home.published, "incident", {"method": "pagerduty"}, catalog) is None
