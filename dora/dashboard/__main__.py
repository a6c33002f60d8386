"""`python -m dora.dashboard PUBLISHED_DB DEFINITIONS_DIR OUT`: render the dashboard by hand."""

from __future__ import annotations

import argparse
from pathlib import Path

from dora.dashboard import render_dashboard


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m dora.dashboard", description=__doc__)
    parser.add_argument("published_db", type=Path, help="the published read-only marts DuckDB file")
    parser.add_argument("definitions_dir", type=Path, help="the folder of definition seed CSVs")
    parser.add_argument("out", type=Path, help="the HTML file to write")
    args = parser.parse_args()
    print(render_dashboard(args.published_db, args.definitions_dir, args.out))


if __name__ == "__main__":
    main()
