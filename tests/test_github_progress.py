"""GitHub at real scale, in small: a backfill longer than one rate-limit window, a run killed
mid-backfill, repositories that appear later, drafts published late. The simulated org enforces
GitHub's budgets and cost formula with a "one-hour" window of two seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from dlt_sources.errors import SourceError
from simorg.faults import Fault
from simorg.scenario import Deployment, DeploymentStatus, PullRequest, Release, Repo, Scenario
from simorg.server import SimulatedOrg
from sources_fixtures import ago, fast_retries, github_source, resource_state, rows, run_until_done  # noqa: F401

SHA = "c" * 40
WINDOW = 2.0  # seconds: the simulated org's rate-limit window
REPO_ROOT = Path(__file__).parents[1]


def backfill_scenario() -> Scenario:
    """3 repositories x 250 PRs (3 GraphQL pages of 2 points each: 100, 100, 50) updated over the
    last 250 days, and 20 deployments each (1 page of 1 point): 3 x (3 x 2 + 1) = 21 points, 12
    requests. PR n of a repository is updated n days ago."""
    repos = [Repo("acme", name, 100 + i) for i, name in enumerate(["api", "web", "ops"])]
    prs = [PullRequest(repo.full_name, n, repo.id * 1000 + n, f"PR {n}", "alice", created_at=ago(n + 1),
                       updated_at=ago(n), first_commit_at=ago(n + 2))
           for repo in repos for n in range(250)]
    deployments = [Deployment(repo.full_name, repo.id * 1000 + n, SHA, "main", "production", ago(n), "bob",
                              statuses=[DeploymentStatus(repo.id * 1000 + n, "success", ago(n))])
                   for repo in repos for n in range(20)]
    return Scenario(repos=repos, pull_requests=prs, deployments=deployments)


def graphql_source(org, **settings):
    return lambda: github_source(org, **settings).with_resources("pull_requests", "deployments")


def counts(home) -> list[tuple]:
    return (rows(home, "raw_github", "select count(*), count(distinct id) from {t}.pull_requests")
            + rows(home, "raw_github", "select count(*), count(distinct id) from {t}.deployments"))


def uninterrupted_requests(tmp_path) -> int:
    from dora.core.home import Home

    home = Home(tmp_path / "uninterrupted").ensure()
    with SimulatedOrg(backfill_scenario()) as org:
        run_until_done(home, graphql_source(org))
        assert org.requests == {("github", "graphql"): 12} and org.points_used == {"graphql": 21}
        return sum(org.requests.values())


def test_a_backfill_of_several_windows_completes_over_successive_runs(home, tmp_path):
    # 8 points a window, and a run never waits (max_rate_limit_wait 0): each run stops before the
    # request it cannot afford, saying how far it got; the next run (after the window) continues.
    stops = []
    with SimulatedOrg(backfill_scenario(), rate_limit=8, rate_window=WINDOW) as org:
        for _ in range(6):
            try:
                run_until_done(home, graphql_source(org, max_rate_limit_wait=0))
                break
            except SourceError as stop:
                stops.append(str(stop))
                time.sleep(WINDOW + 1)  # the schedule's next run, after the reset
        requests, points = dict(org.requests), dict(org.points_used)

    # 21 points at 8 a window: 3 runs, the first two stopped at the limit. dlt takes a page from
    # each resource in turn: api's PR pages (2 points each) alternate with api's and web's
    # deployments (1 each): 2 + 1 + 2 + 1 + 2 = 8, and ops' deployments page does not fit.
    assert len(stops) == 2
    assert "GitHub rate limit exhausted (graphql)" in stops[0]
    assert ("(deployments 2 of 3 repositories done, 1 left; pull_requests 1 of 3 repositories done, 2 left)"
            in stops[0]), stops[0]
    assert counts(home) == [(750, 750), (60, 60)]  # nothing lost, nothing twice
    # stopped before the request it could not afford: no refusal (graphql:refused) among the requests
    # No page read twice; the deployments finished in run 2, so run 3 begins their next pass with
    # one check of the 3 repositories (1 point): 13 requests, 22 points against 12 and 21.
    assert requests == {("github", "graphql"): 13} and points == {"graphql": 22}
    assert sum(requests.values()) <= 1.2 * uninterrupted_requests(tmp_path)


def test_a_run_waits_for_a_near_reset_and_finishes_in_one_go(home):
    with SimulatedOrg(backfill_scenario(), rate_limit=8, rate_window=WINDOW) as org:
        started = time.time()
        run_until_done(home, graphql_source(org, max_rate_limit_wait=WINDOW + 1))
        assert time.time() - started >= 2 * WINDOW  # it waited for two resets
        assert org.requests == {("github", "graphql"): 12}  # and never met a refusal
    assert counts(home) == [(750, 750), (60, 60)]


CHILD = """
import sys
from pathlib import Path
from dlt_sources.github import github
from dlt_sources.pipelines import make_pipeline
from dlt_sources.progress import load_until_done
from dora.core.home import Home
pipeline = make_pipeline("github", Home(Path(sys.argv[1])).ensure())
load_until_done(lambda: github().with_resources("pull_requests", "deployments"), pipeline.run, pipeline)
"""


def test_a_run_killed_mid_backfill_loses_at_most_the_load_in_flight(home, tmp_path):
    # Loads of 2 requests; every GraphQL answer takes 0.5 s. The run is SIGKILLed while its 5th
    # request is being answered: loads 1 and 2 (requests 1-4) are committed, load 3 is lost.
    scenario = backfill_scenario()
    slow = Fault.slow(path="graphql", times=100, seconds=0.5)
    with SimulatedOrg(scenario) as org:
        org.inject(slow)
        env = {**os.environ, "SOURCES__GITHUB__ACCESS_TOKEN": scenario.github_token,
               "SOURCES__GITHUB__REPOSITORIES": '["acme/api", "acme/web", "acme/ops"]',
               "SOURCES__GITHUB__BASE_URL": org.github_url, "SOURCES__GITHUB__REQUESTS_PER_LOAD": "2",
               "RUNTIME__LOG_LEVEL": "WARNING"}
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(home.root)], env=env, cwd=REPO_ROOT)
        deadline = time.time() + 60
        while 100 - slow.times < 5 and child.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert 100 - slow.times == 5, "the child did not reach its 5th request"
        org.faults.clear()
        killed = org.requests[("github", "graphql")]  # requests 1-4 answered, the 5th cut off

        run_until_done(home, graphql_source(org, requests_per_load=2))
        total = org.requests[("github", "graphql")]

    assert killed == 4
    assert counts(home) == [(750, 750), (60, 60)]
    # The uninterrupted backfill takes 12 requests; only the one in flight was asked for again.
    assert total == 12 + 1


def test_repositories_added_later_get_their_whole_history_and_removed_ones_keep_theirs(home):
    scenario = backfill_scenario()
    with SimulatedOrg(scenario) as org:
        # acme/api alone, then acme/web added to the list: web is read back the whole backfill
        # (250 PRs, 3 pages), api only checked (nothing new).
        run_until_done(home, graphql_source(org, repositories=["acme/api"]))
        org.reset_requests()
        run_until_done(home, graphql_source(org, repositories=["acme/api", "acme/web"]))
        added = dict(org.requests)
        assert rows(home, "raw_github", "select repository, count(*) from {t}.pull_requests group by 1 order by 1") == [
            ("acme/api", 250), ("acme/web", 250)]

        # The owner's listing: acme/ops, not read before, is backfilled; a repository created in
        # the owner since (acme/new) too.
        scenario.repos.append(Repo("acme", "new", 900))
        scenario.pull_requests.append(PullRequest("acme/new", 1, 900_001, "Old", "alice", created_at=ago(200),
                                                  updated_at=ago(200), first_commit_at=ago(201)))
        run_until_done(home, graphql_source(org, repositories=None, owner="acme"))
        # acme/web removed from the configuration: its rows stay.
        run_until_done(home, graphql_source(org, repositories=["acme/api"]))

    # checks (PRs, deployments) of acme/api: 1 each; acme/web: 3 PR pages and 1 deployments page
    assert added == {("github", "graphql"): 2 + 4}
    assert rows(home, "raw_github", "select repository, count(*) from {t}.pull_requests group by 1 order by 1") == [
        ("acme/api", 250), ("acme/new", 1), ("acme/ops", 250), ("acme/web", 250)]
    assert rows(home, "raw_github", "select count(*), count(distinct id) from {t}.deployments") == [(60, 60)]


def test_a_draft_published_long_after_its_creation_is_read_again(home):
    # v2.0 is drafted 10 days ago; v2.1, published yesterday, sets the cursor: later reads start
    # at its creation minus the 72 h lookback (4 days ago), so v2.0 is never on the page they keep.
    scenario = Scenario(repos=[Repo("acme", "api", 101)], releases=[
        Release("acme/api", 7001, "v2.0", "main", "Two", ago(10), None, "bob", draft=True),
        Release("acme/api", 7002, "v2.1", "main", "Two one", ago(1), ago(1), "bob"),
    ])
    source = lambda: github_source(org).with_resources("releases")  # noqa: E731
    with SimulatedOrg(scenario) as org:
        run_until_done(home, source)
        scenario.releases[0].draft, scenario.releases[0].published_at = False, ago(hours=1)
        org.reset_requests()
        run_until_done(home, source)
        published = dict(org.requests)
        org.reset_requests()
        run_until_done(home, source)
        afterwards = dict(org.requests)

    assert rows(home, "raw_github", "select id, draft, published_at from {t}.releases order by id") == [
        (7001, False, ago(hours=1)), (7002, False, ago(1))]
    # The list changed (200, nothing kept past the floor), the draft is asked for by id (200);
    # published, it is not asked for again.
    assert published == {("github", "releases"): 1, ("github", "release"): 1}
    assert afterwards == {("github", "releases:304"): 1}
    assert resource_state(home, "github", "releases")["units"]["acme/api"]["drafts"] == {}


def test_a_draft_deleted_before_publication_is_forgotten(home):
    scenario = Scenario(repos=[Repo("acme", "api", 101)], releases=[
        Release("acme/api", 7001, "v2.0", "main", "Two", ago(10), None, "bob", draft=True),
        Release("acme/api", 7002, "v2.1", "main", "Two one", ago(1), ago(1), "bob"),
    ])
    with SimulatedOrg(scenario) as org:
        run_until_done(home, lambda: github_source(org).with_resources("releases"))
        del scenario.releases[0]
        org.reset_requests()
        run_until_done(home, lambda: github_source(org).with_resources("releases"))
        assert org.requests == {("github", "releases"): 1, ("github", "release"): 1}  # the 404
    assert resource_state(home, "github", "releases")["units"]["acme/api"]["drafts"] == {}
    assert rows(home, "raw_github", "select id, draft from {t}.releases order by id") == [(7001, True), (7002, False)]
