"""The `dora` command line and the pieces it shares with the orchestration: paths and publishing."""
