"""`dora define`: the command line over dora.core.definitions, run through click's CliRunner."""

from __future__ import annotations

import os

from click.testing import CliRunner
from self_service_fixtures import published, seeds, warehouse_write_lock  # noqa: F401 (fixtures)

from dora.cli import main
from dora.define_cli import define


def run(*args: str):
    return CliRunner().invoke(define, list(args))


def test_define_deployment_prints_the_definition_and_its_preview(seeds, published):
    result = run("deployment", "--method", "workflow_run", "--repository", "acme/*", "--workflow", "deploy*",
                 "--branch", "main")
    assert result.exit_code == 0, result.output
    # fixture history: wr-1 and wr-2 of the 6 workflow runs match (see self_service_fixtures)
    assert result.stdout.splitlines() == [
        "added deployment definition workflow_run-acme-main-deploy: method=workflow_run, repository='acme/*', "
        "branch='main', workflow='deploy*'",
        "defaults applied: conclusion='success'",
        "preview: matches 2 of 6 workflow_run records in the published deployment history",
    ]
    assert (seeds / "deployment_definitions.csv").read_text().splitlines()[-1] == \
        "workflow_run-acme-main-deploy,workflow_run,acme/*,main,,,,deploy*,,,,,,,,,,,"


def test_define_incident_with_an_id_and_nothing_published(seeds, home):
    result = run("incident", "--method", "pagerduty", "--service", "checkout*", "--urgency", "high",
                 "--id", "checkout-high")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "added incident definition checkout-high: method=pagerduty, service='checkout*', urgency='high'",
        f"preview: nothing published yet ({home.published}); run the pipeline to see matches",
    ]
    assert (seeds / "incident_definitions.csv").read_text().splitlines()[-1] == \
        "checkout-high,pagerduty,checkout*,high,,,,,,,,"


def test_define_rework_appends_a_row_and_says_where_its_matches_will_show(seeds):
    result = run("rework", "--method", "hotfix_pr", "--label", "hotfix", "--branch", "hotfix/*")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "added rework definition hotfix_pr-hotfix-hotfix: method=hotfix_pr, branch='hotfix/*', label='hotfix'",
        "preview: rework definitions are matched after history; the next run lists what they match in "
        "marts.deployments.rework_reason",
    ]
    assert (seeds / "rework_definitions.csv").read_text().splitlines()[-1] == \
        "hotfix_pr-hotfix-hotfix,hotfix_pr,,hotfix/*,hotfix,,"
    refused = run("rework", "--method", "open_incident", "--label", "x")
    assert refused.exit_code == 1
    assert refused.stderr == "Error: --label: method open_incident does not use filter 'label'; its filters: service\n"

    (seeds / "rework_definitions.csv").unlink()  # a definitions directory from before rework definitions
    assert run("upgrade").stdout == (f"{seeds / 'rework_definitions.csv'}: written with the shipped definitions "
                                     "(the file was missing)\n")


def test_define_while_a_pipeline_holds_the_warehouse_lock(seeds, published, warehouse_write_lock):
    # merged_pr candidates pr-1..pr-4 all merged to main
    result = run("deployment", "--method", "merged_pr", "--branch", "main", "--id", "all-main")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "preview: matches 4 of 4 merged_pr records in the published " \
                                             "deployment history"


def test_invalid_options_name_the_option_and_store_nothing(seeds):
    before = (seeds / "deployment_definitions.csv").read_bytes()
    result = run("deployment", "--method", "merged_pr", "--workflow", "deploy*", "--id", "merged-to-main")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: --workflow: method merged_pr does not use filter 'workflow'; "
        "its filters: repository, branch, label, author, title, paths, service",
        "--branch: method merged_pr requires filter 'branch'",
        "--id: definition_id 'merged-to-main' already exists",
    ]
    result = run("deployment", "--method", "nightly")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --method: unknown deployment method 'nightly'")
    assert (seeds / "deployment_definitions.csv").read_bytes() == before


def test_a_paths_filter_previews_the_merged_prs_whose_changed_files_match(seeds, published):
    # fixture history: pr-1 changed services/api/a.py, pr-2 web files, pr-3 was read without files, pr-4 none
    api = run("deployment", "--method", "merged_pr", "--branch", "main", "--paths", "services/api/**", "--id", "api")
    assert api.exit_code == 0, api.output
    assert api.stdout.splitlines()[-1] == "preview: matches 1 of 4 merged_pr records in the published deployment history"
    # negated: no changed file matches (pr-2, and pr-3 and pr-4 which have none)
    rest = run("deployment", "--method", "merged_pr", "--branch", "main", "--paths", "!services/api/**", "--id", "rest")
    assert rest.stdout.splitlines()[-1] == "preview: matches 3 of 4 merged_pr records in the published deployment history"
    assert (seeds / "deployment_definitions.csv").read_text().splitlines()[-1] == \
        "rest,merged_pr,,main,,,,,,,,,,,,,,,!services/api/**"


def test_a_workflow_definition_names_a_service_of_services_csv_and_matches_no_record_by_it(seeds, published):
    (seeds / "services.csv").write_text("service,team,repository,pagerduty_service,jira,paths\n"
                                        "api,core,acme/mono,,,services/api/**\n")
    refused = run("deployment", "--method", "workflow_run", "--workflow", "deploy*", "--service", "billing")
    assert (refused.exit_code, refused.stderr) == (
        1, "Error: --service: names service 'billing', which services.csv does not have (its services: api)\n")
    # wr-1, wr-2, wr-4 and wr-6 succeeded on main with a deploy* workflow; the service filters nothing (as a
    # filter, 'api' would match none of them: their service is empty)
    added = run("deployment", "--method", "workflow_run", "--workflow", "deploy*", "--branch", "main",
                "--service", "api", "--id", "deploy-api")
    assert added.exit_code == 0, added.output
    assert added.stdout.splitlines()[1:] == [
        "defaults applied: conclusion='success'",
        "preview: matches 4 of 6 workflow_run records in the published deployment history",
    ]
    assert "for a method where it is a name (definition_methods.csv role): a services.csv service" in " ".join(
        run("deployment", "--help").stdout.split())


def test_check_prints_the_notice_of_a_services_file_of_an_earlier_version(seeds):
    (seeds / "services.csv").write_text("service,team,repository,pagerduty_service\napi,core,acme/api,\n")
    checked = run("check")
    assert (checked.exit_code, checked.stderr) == (
        0, f"{seeds / 'services.csv'}: no column paths: read as empty (every row maps whole repositories)\n")


def test_options_follow_the_definition_file(seeds):
    result = run("incident", "--help")
    assert "--urgency GLOB" in result.stdout and "--workflow" not in result.stdout
    assert run("incident", "--method", "pagerduty", "--workflow", "x").exit_code == 2  # no such option


def test_filter_options_are_spelled_with_dashes(seeds):
    result = run("deployment", "--method", "jira_issue", "--project", "OPS", "--issue-type", "Release", "--id", "ops")
    assert result.exit_code == 0, result.output
    assert (seeds / "deployment_definitions.csv").read_text().splitlines()[-1] == \
        "ops,jira_issue,,,,,,,,,,,,,OPS,Release,,,"
    assert run("deployment", "--method", "jira_issue", "--issue_type", "Release").exit_code == 2  # no such option


def test_list_remove_and_check(seeds):
    assert run("list").stdout.splitlines() == [
        f"deployment definitions ({seeds / 'deployment_definitions.csv'}):",
        "  merged-to-main: method=merged_pr, branch='main'",
        "  merged-to-master: method=merged_pr, branch='master'",
        "  custom-api-deployments: method=custom",
        f"incident definitions ({seeds / 'incident_definitions.csv'}):",
        "  all-pagerduty: method=pagerduty",
        "  custom-api-incidents: method=custom",
        f"rework definitions ({seeds / 'rework_definitions.csv'}):",
        "  during-open-incident: method=open_incident",
        "  shipped-reverts: method=revert_pr",
    ]
    assert run("remove", "merged-to-master").stdout == "removed deployment definition merged-to-master\n"
    missing = run("remove", "merged-to-master")
    assert (missing.exit_code, missing.stderr) == (1, "Error: no definition with id 'merged-to-master'\n")
    assert run("check").stdout == f"definitions OK ({seeds})\n"

    with (seeds / "incident_definitions.csv").open("a") as handle:
        handle.write("paging,pagerduty,,,,,,,,,,\n,custom,,,,,,,,,,\n")
    failed = run("check")
    assert failed.exit_code == 1
    # line 4 is the new `paging` row, line 5 the one without an id; both fine otherwise
    assert failed.stderr == f"{seeds / 'incident_definitions.csv'}:5:1: empty definition_id\n"


OLD_DEPLOYMENTS = ("definition_id,method,repository,branch,label,author,title,workflow,event,conclusion,tag,"
                   "environment,state,service\nmerged-to-main,merged_pr,,main,,,,,,,,,,\n")


def test_a_file_of_an_earlier_version_is_read_with_a_notice_and_upgraded(seeds):
    (seeds / "deployment_definitions.csv").write_text(OLD_DEPLOYMENTS)
    checked = run("check")
    assert checked.exit_code == 0, checked.output
    assert checked.stderr == (f"{seeds / 'deployment_definitions.csv'}: no column project, issue_type, status, "
                              "component, paths: read as empty (`dora define upgrade` adds them)\n")
    assert checked.stdout == f"definitions OK ({seeds})\n"
    # the options follow definition_methods.csv, not the old header
    added = run("deployment", "--method", "jira_issue", "--project", "OPS", "--id", "ops")
    assert added.exit_code == 0, added.output
    assert (seeds / "deployment_definitions.csv").read_text().splitlines() == [
        "definition_id,method,repository,branch,label,author,title,workflow,event,conclusion,tag,environment,"
        "state,service,project,issue_type,status,component,paths",
        "merged-to-main,merged_pr,,main,,,,,,,,,,,,,,,",
        "ops,jira_issue,,,,,,,,,,,,,OPS,,,,",
    ]

    (seeds / "incident_definitions.csv").write_text("definition_id,method,service,urgency,priority,team,title\n"
                                                    "all-pagerduty,pagerduty,,,,,\n")
    upgraded = run("upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout == (f"{seeds / 'incident_definitions.csv'}: added the empty columns project, "
                               "issue_type, label, component, repository\n")
    assert (seeds / "incident_definitions.csv").read_text() == (
        "definition_id,method,service,urgency,priority,team,title,project,issue_type,label,component,repository\n"
        "all-pagerduty,pagerduty,,,,,,,,,,\n")
    assert run("upgrade").stdout == f"definition files already have the current columns ({seeds})\n"
    assert run("check").output == f"definitions OK ({seeds})\n"


def test_check_names_an_unknown_column_and_the_real_path(seeds):
    path = seeds / "deployment_definitions.csv"
    path.write_text(path.read_text().replace(",branch,", ",brnach,", 1))
    failed = run("check")
    assert failed.exit_code == 1
    assert failed.stderr.splitlines() == [
        f"{path}: no column branch: read as empty (`dora define upgrade` adds it)",
        f"{path}:1:4: unknown column 'brnach' (did you mean 'branch'?)",
    ]
    refused = run("deployment", "--method", "merged_pr", "--branch", "dev")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "Error: the definition files must be fixed first (`dora define check`):",
        f"{path}:1:4: unknown column 'brnach' (did you mean 'branch'?)",
    ]


def test_globs_that_can_never_match_are_refused_naming_the_option_and_the_column(seeds):
    before = (seeds / "deployment_definitions.csv").read_bytes()
    result = run("deployment", "--method", "merged_pr", "--branch", "main[", "--author", "!")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: --branch: unclosed '[' in 'main[' (a set needs its ']'; a literal [ is written \\[)",
        "--author: '!' alone negates nothing (write !<pattern>)",
    ]
    assert (seeds / "deployment_definitions.csv").read_bytes() == before

    with (seeds / "deployment_definitions.csv").open("a") as handle:
        handle.write("typo,merged_pr,,main[,,,,,,,,,,,,,,,\n")
    failed = run("check")
    assert (failed.exit_code, failed.stderr) == (
        1, f"{seeds / 'deployment_definitions.csv'}:5:4: unclosed '[' in 'main[' (a set needs its ']'; "
           "a literal [ is written \\[)\n")


def test_a_file_saved_by_excel_with_a_byte_order_mark_is_accepted(seeds):
    path = seeds / "deployment_definitions.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert run("check").output == f"definitions OK ({seeds})\n"
    assert run("list").stdout.splitlines()[1] == "  merged-to-main: method=merged_pr, branch='main'"
    assert run("remove", "merged-to-master").exit_code == 0
    assert path.read_text() == ("definition_id,method,repository,branch,label,author,title,workflow,event,conclusion,"
                                "tag,environment,state,service,project,issue_type,status,component,paths\n"
                                "merged-to-main,merged_pr,,main,,,,,,,,,,,,,,,\n"
                                "custom-api-deployments,custom,,,,,,,,,,,,,,,,,\n")


def test_dora_run_prints_the_notice_of_a_file_of_an_earlier_version(seeds, home, monkeypatch):
    # dbt's notice lands in its log; `dora run` says it on the terminal before anything else
    for name in [n for n in os.environ if n.startswith("SOURCES__")]:
        monkeypatch.delenv(name)
    (seeds / "deployment_definitions.csv").write_text(OLD_DEPLOYMENTS)
    result = CliRunner().invoke(main, ["run"])
    assert result.stderr.splitlines()[0] == (f"{seeds / 'deployment_definitions.csv'}: no column project, "
                                             "issue_type, status, component, paths: read as empty "
                                             "(`dora define upgrade` adds them)")
