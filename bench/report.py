"""The benchmark table: one row per figure, printed and written to docs/benchmarks.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    section: str  # "extraction", "transformation", "end to end"
    measure: str
    value: str
    target: str = ""  # the target, when it has one
    met: bool | None = None  # None: no target


def table(figures: list[Figure]) -> str:
    """A Markdown table (also readable as plain text)."""
    lines = ["| section | measure | value | target | met |", "|---|---|---|---|---|"]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        lines.append(f"| {f.section} | {f.measure} | {f.value} | {f.target} | {met} |")
    return "\n".join(lines)
