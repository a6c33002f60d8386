"""The org's headline DORA figures for the last 30 days, read from the published marts."""

from __future__ import annotations

from pathlib import Path

from dora.core.published import PublishedMarts, published_marts

HEADLINE_COLUMNS = (
    "deployments_per_week",
    "lead_time_median_hours",
    "change_failure_rate",
    "time_to_restore_median_hours",
    "rework_rate",
    "overall_level",
)


def org_headline(published: PublishedMarts | Path, window_days: int = 30) -> dict[str, float | str | None]:
    """The org row of marts.dora_summary for the window ending now (window_offset 0); every value
    None when there is none."""
    with published_marts(published).connect() as reader:
        rows = reader.rows(
            f"select {', '.join(HEADLINE_COLUMNS)} from marts.dora_summary "
            "where scope = 'org' and window_days = ? and window_offset = 0",
            [window_days],
        )
    return dict(zip(HEADLINE_COLUMNS, rows[0] if rows else [None] * len(HEADLINE_COLUMNS)))


def format_headline(headline: dict[str, float | str | None]) -> str:
    """Six short lines a person reads at the end of a run."""

    def hours(value):
        return "no data yet" if value is None else f"{value:.1f} h"

    def share(value):
        return "no data yet" if value is None else f"{value:.0%}"

    per_week = headline["deployments_per_week"]
    return "\n".join(
        [
            f"  deployment frequency   {'no data yet' if per_week is None else f'{per_week:.1f} per week'}",
            f"  lead time (median)     {hours(headline['lead_time_median_hours'])}",
            f"  change failure rate    {share(headline['change_failure_rate'])}",
            f"  time to restore        {hours(headline['time_to_restore_median_hours'])}",
            f"  rework rate            {share(headline['rework_rate'])}",
            f"  overall level          {headline['overall_level'] or 'no data yet'}",
        ]
    )
