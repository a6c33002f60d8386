"""Writes the dashboard: the marts' numbers as JSON inside one self-contained HTML page.

The page carries its own CSS and JavaScript (no network, no CDN) so it can be mailed, attached or
opened from disk; it is written to a temporary file and renamed so a reader never sees half a page.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from importlib.resources import files
from pathlib import Path

from dora.core.published import PublishedMarts
from dora.dashboard.data import collect


def render_dashboard(
    published: PublishedMarts | Path, definitions_dir: Path, out_path: Path, now: dt.datetime | None = None
) -> Path:
    """Render the dashboard of the published marts (or of a published DuckDB file) to out_path and
    return out_path."""
    data = collect(published, Path(definitions_dir), now or dt.datetime.now(dt.timezone.utc))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    temporary.write_text(page(data), encoding="utf-8")
    os.replace(temporary, out_path)
    return out_path


def page(data: dict) -> str:
    """The HTML page with the data, styles and script inlined."""
    assets = files("dora.dashboard")
    # "</" inside a script element would end it early; JSON allows the escaped form.
    embedded = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return (
        assets.joinpath("page.html")
        .read_text(encoding="utf-8")
        .replace("/*CSS*/", assets.joinpath("page.css").read_text(encoding="utf-8"))
        .replace("/*JS*/", assets.joinpath("page.js").read_text(encoding="utf-8"))
        .replace("/*DATA*/", embedded)
    )
