"""One extraction run, in its own process so its peak RSS is its own:
`python -m bench.extract_child DORA_HOME SOURCE [RESOURCE]` (every resource without RESOURCE),
settings from the environment (SOURCES__...); runs as many loads as the source's passes take, as
`dora run` does; prints {"rows": n, "seconds": s, "loads": n, "stopped": message or null} as JSON
on its last line ("stopped": a rate limit ended the run before the backfill did)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dlt_sources.errors import SourceError
from dlt_sources.github import github
from dlt_sources.pagerduty import pagerduty
from dlt_sources.pipelines import make_pipeline
from dlt_sources.progress import load_until_done
from dora.core.home import Home


def main(home_dir: str, source_name: str, resource: str | None = None) -> None:
    home = Home(Path(home_dir)).ensure()
    pipeline = make_pipeline(source_name, home)
    rows = loads = 0

    def make_source():
        source = {"github": github, "pagerduty": pagerduty}[source_name]()
        return source.with_resources(resource) if resource else source

    def load(source) -> None:
        nonlocal rows, loads
        pipeline.run(source)
        counts = pipeline.last_trace.last_normalize_info.row_counts
        rows += counts.get(resource, 0) if resource else sum(n for table, n in counts.items() if not table.startswith("_"))
        loads += 1

    started = time.perf_counter()
    stopped = None
    try:
        load_until_done(make_source, load, pipeline)
    except SourceError as stop:
        stopped = str(stop)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "loads": loads, "stopped": stopped}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
