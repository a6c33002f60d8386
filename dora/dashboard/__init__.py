"""A self-contained HTML dashboard of the published DORA marts."""

from dora.dashboard.render import render_dashboard

__all__ = ["render_dashboard"]
