"""`python -m simorg serve [--port P] [--seed S]`: serve the demo org until Ctrl-C.

For trying the extractor by hand. The tokens printed are the simulated org's own, not secrets.
"""

from __future__ import annotations

import argparse
import threading
from datetime import datetime, timezone

from simorg.generate import demo_scenario, generate_scenario
from simorg.server import SimulatedOrg


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simorg", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a generated demo org on 127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    serve.add_argument("--seed", type=int, default=None, help="generator seed (default: the demo org)")
    args = parser.parse_args(argv)

    now = datetime.now(timezone.utc)
    scenario = demo_scenario(now) if args.seed is None else generate_scenario(now, seed=args.seed)
    with SimulatedOrg(scenario, port=args.port) as org:
        print(f"GitHub REST:     {org.github_url}")
        print(f"GitHub GraphQL:  {org.github_graphql_url}")
        print(f"GitHub token:    {scenario.github_token}")
        print(f"PagerDuty:       {org.pagerduty_url}")
        print(f"PagerDuty token: {scenario.pagerduty_token}")
        print(f"Repositories:    {', '.join(r.full_name for r in scenario.repos)}")
        print("Serving until Ctrl-C.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
