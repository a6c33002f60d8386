"""One extraction run of one resource, in its own process so its peak RSS is its own:
`python -m bench.extract_child DORA_HOME SOURCE RESOURCE`, settings from the environment
(SOURCES__...); runs as many loads as the source's passes take, as `dora run` does; prints
{"rows": n, "seconds": s, "loads": n} as JSON on its last line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dlt_sources.github import github
from dlt_sources.pagerduty import pagerduty
from dlt_sources.pipelines import make_pipeline
from dlt_sources.progress import load_until_done
from dora.core.home import Home


def main(home_dir: str, source_name: str, resource: str) -> None:
    home = Home(Path(home_dir)).ensure()
    pipeline = make_pipeline(source_name, home)
    rows = loads = 0

    def load(source) -> None:
        nonlocal rows, loads
        pipeline.run(source)
        rows += pipeline.last_trace.last_normalize_info.row_counts.get(resource, 0)
        loads += 1

    started = time.perf_counter()
    load_until_done(lambda: {"github": github, "pagerduty": pagerduty}[source_name]().with_resources(resource), load,
                    pipeline)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "loads": loads}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
