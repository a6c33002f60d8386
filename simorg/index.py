"""Scenario records grouped by repository and sorted the way each endpoint pages them.

Grouping and sorting cost O(n log n) over a whole list. An unfrozen org builds a fresh index
per request, so tests that mutate the scenario between runs are always seen; a frozen org
(benchmarks with a million PRs) keeps one index and its memoised filter results for its life.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from simorg.scenario import PagerDutyService, Repo, Scenario


class ScenarioIndex:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._memo: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The value of compute() for key, computed once per index."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = compute()
        with self._lock:
            self._memo[key] = value
        return value

    def repo(self, full_name: str) -> Repo | None:
        """GitHub matches owner/name case-insensitively."""
        repos = self.memo(("repos",), lambda: {r.full_name.lower(): r for r in self.scenario.repos})
        return repos.get(full_name.lower())

    def repos_of(self, owner: str) -> list[Repo]:
        return self.memo(
            ("repos_of", owner.lower()),
            lambda: sorted((r for r in self.scenario.repos if r.owner.lower() == owner.lower()), key=lambda r: r.id),
        )

    def _by_repo(self, attribute: str) -> dict[str, list]:
        def group() -> dict[str, list]:
            groups: dict[str, list] = defaultdict(list)
            for record in getattr(self.scenario, attribute):
                groups[record.repo.lower()].append(record)
            return groups

        return self.memo(("by_repo", attribute), group)

    def sorted_records(self, attribute: str, repo: Repo, sort_key: str, descending: bool) -> list:
        """Records of one repo ordered by a datetime attribute, ties broken by id."""
        return self.memo(
            ("sorted", attribute, repo.full_name, sort_key, descending),
            lambda: sorted(
                self._by_repo(attribute).get(repo.full_name.lower(), []),
                key=lambda r: (getattr(r, sort_key), r.id),
                reverse=descending,
            ),
        )

    def services(self) -> list[PagerDutyService]:
        return self.memo(("services",), lambda: sorted(self.scenario.pagerduty_services, key=lambda s: s.name))

    def service(self, service_id: str) -> PagerDutyService | None:
        services = self.memo(("service_by_id",), lambda: {s.id: s for s in self.scenario.pagerduty_services})
        return services.get(service_id)
