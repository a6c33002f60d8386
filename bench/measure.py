"""Timing, peak memory and the machine description every benchmark figure is reported with."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent  # the venv's bin: dbt, dora


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mib: float  # the child's (and its waited-for children's) VmHWM, from wait4's rusage
    output: str
    returncode: int

    def failure(self) -> str | None:
        """None when the command succeeded, else its exit code and last output line."""
        if self.returncode == 0:
            return None
        last = next((line for line in reversed(self.output.strip().splitlines()) if line.strip()), "")
        return f"failed (exit {self.returncode}): {last[:200]}"


def run_child(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
              check: bool = True) -> ChildRun:
    """Run a command to completion; its wall time and peak RSS. Output is kept for parsing and
    shown when the command fails.

    The command is started by a small launcher process (this file run as a script), not by this
    one: Linux gives a process exec'd from a fork the peak RSS of the process it was forked from,
    and this one holds the simulated org (1.9 GiB at full scale), which wait4 would report as the
    command's peak."""
    with tempfile.NamedTemporaryFile("r", suffix=".rusage") as rusage:
        started = time.perf_counter()
        process = subprocess.run([sys.executable, __file__, rusage.name, *args],
                                 env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        seconds = time.perf_counter() - started
        peak_kib = int(rusage.read() or 0)
    if check and process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}):\n{process.stdout[-4000:]}")
    return ChildRun(seconds, peak_kib / 1024, process.stdout, process.returncode)


def launch(rusage_path: str, args: list[str]) -> int:
    """The launcher: run `args`, write its peak RSS (KiB, itself and its waited-for children) to
    `rusage_path`, exit with its exit code."""
    process = subprocess.Popen(args)
    _, status, usage = os.wait4(process.pid, 0)
    Path(rusage_path).write_text(str(usage.ru_maxrss))
    return os.waitstatus_to_exitcode(status)


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    """One line naming the machine: CPU model and count, memory, OS, Python, DuckDB and dbt."""
    import duckdb

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} × {cpu}, {memory_kib / 1024**2:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
            f"load average {load:.1f} at start (the machine is shared)")


if __name__ == "__main__":
    sys.exit(launch(sys.argv[1], sys.argv[2:]))
