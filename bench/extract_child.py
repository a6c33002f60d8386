"""One extraction run of one resource, in its own process so its peak RSS is its own:
`python -m bench.extract_child DORA_HOME SOURCE RESOURCE`, settings from the environment
(SOURCES__...); prints {"rows": n, "seconds": s} as JSON on its last line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dlt_sources.github import github
from dlt_sources.pagerduty import pagerduty
from dlt_sources.pipelines import make_pipeline
from dora.core.home import Home


def main(home_dir: str, source_name: str, resource: str) -> None:
    home = Home(Path(home_dir)).ensure()
    source = {"github": github, "pagerduty": pagerduty}[source_name]().with_resources(resource)
    pipeline = make_pipeline(source_name, home)
    started = time.perf_counter()
    pipeline.run(source)
    seconds = time.perf_counter() - started
    rows = pipeline.last_trace.last_normalize_info.row_counts.get(resource, 0)
    print(json.dumps({"rows": rows, "seconds": seconds}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
