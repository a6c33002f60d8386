"""Environment variables set for a block of code only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def environment_set(values: dict[str, str]) -> Iterator[None]:
    """The variables in `values` for the duration of the block, the previous ones restored after
    (a setting meant for one step, e.g. a simulated org's or dbt's, must not outlive it)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
