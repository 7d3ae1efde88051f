"""Benchmark: ``pmtheater validate`` against ``check-jsonschema`` on the same incident files.

Generates a site of realistic incidents (10,000 by default, with
benchmarks/generate.py), then, in one run, times

* ``pmtheater validate`` (the build's checks: YAML with line numbers, the JSON
  Schema, the checks the schema cannot express, the checks across files), and
* ``check-jsonschema --schemafile schemas/incident.schema.json FILES...``
  (the schema alone),

both as the commands a CI job would run, and prints the times and their ratio.
The target is pmtheater at most a third of check-jsonschema's time. This is a
script, not a timed test: run it by hand on a quiet machine.

    python benchmarks/validate.py [--count 10000] [--seed 1] [--out DIR] [--repeat 1]

The generated site is kept in ``--out`` (default ``benchmarks/out/validate-<count>``)
and reused by the next run with the same count and seed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCHEMA = REPO / "schemas" / "incident.schema.json"
sys.path.insert(0, str(HERE))

from generate import write_site  # noqa: E402 - the generator lives next to this script


def tool(name: str) -> str:
    """A console script of this Python's environment, never one found on PATH (that could
    be another installation than the one measured)."""
    local = Path(sys.executable).parent / name
    if not local.is_file():
        raise SystemExit(f"{local} is not installed (pip install -e '.[test]')")
    return str(local)


def prepare(out: Path, count: int, seed: int) -> list[str]:
    marker = out / ".generated"
    wanted = f"{count} {seed}\n"
    if not (marker.is_file() and marker.read_text() == wanted):
        if out.exists():
            shutil.rmtree(out)
        started = time.perf_counter()
        write_site(out, count, seed)
        marker.write_text(wanted)
        print(f"generated {count} incidents in {time.perf_counter() - started:.1f} s")
    files = sorted(str(p.relative_to(out)) for p in (out / "docs" / "incidents").rglob("*.yaml"))
    assert len(files) == count, f"expected {count} files, found {len(files)}"
    return files


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each tool this many times and keep the fastest")
    args = parser.parse_args()
    out = (args.out or HERE / "out" / f"validate-{args.count}").resolve()
    files = prepare(out, args.count, args.seed)

    pmtheater = [tool("pmtheater"), "validate"]
    check = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA), *files]
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, command in (("pmtheater validate", pmtheater), ("check-jsonschema", check)):
            seconds, done = timed(command, out)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed ({done.returncode}):\n"
                                 f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
            best[name] = min(seconds, best.get(name, seconds))
            print(f"{name:<20} {seconds:8.2f} s  {len(files) / seconds:8.0f} files/s")
    ratio = best["pmtheater validate"] / best["check-jsonschema"]
    print(f"\n{len(files)} files; pmtheater validate takes {ratio:.2f} of check-jsonschema's "
          f"time (target: at most 0.33){'' if ratio <= 1 / 3 else '  -- ABOVE TARGET'}")


if __name__ == "__main__":
    main()
