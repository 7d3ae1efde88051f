"""Benchmark: the cost of "Previously on…" (related incidents) and the Themes page.

Generates ``--count`` incidents (benchmarks/generate.py, 5,000 by default),
loads them with the plugin's loader, and times the relatedness computation
(``catalogue/related.py``) and the themes (``catalogue/themes.py``), each
once per build in the plugin. Prints the seconds and their share of a whole
build of the same size: measured here with ``--build`` (a real ``mkdocs build``
of a generated site in a fresh process, slow), or else the figure given with
``--build-seconds`` (default: the 5,000-incident build time in
benchmarks/README.md). Target: at most 5 % of the build.

    python benchmarks/related.py [--count 5000] [--build | --build-seconds 177.9]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate_incident, incident_yaml, write_site  # noqa: E402


def load(count: int, seed: int) -> list:
    from mkdocs_pmtheater.load.loader import IncidentLoader

    rng = random.Random(seed)
    triples = []
    for index in range(1, count + 1):
        data = generate_incident(index, rng)
        triples.append((incident_yaml(data).encode(), f"incidents/{index}.yaml", f"{index}.yaml"))
    loader = IncidentLoader(("SEV1", "SEV2", "SEV3", "SEV4", "SEV5"), timezone.utc)
    catalog = loader.load(iter(triples), page_exists=lambda uri: True, pages=lambda: [],
                          reserved=set())
    return catalog.incidents


def build_seconds(count: int, seed: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        write_site(root, count, seed)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f",
                        str(root / "mkdocs.yml"), "-d", str(Path(tmp) / "out")], check=True,
                       env={**os.environ, "SOURCE_DATE_EPOCH": "1795651200",
                            "NO_MKDOCS_2_WARNING": "1"})
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build", action="store_true", help="measure a whole build too")
    parser.add_argument("--build-seconds", type=float, default=177.9,
                        help="a whole build's seconds at this size (default: README figure)")
    args = parser.parse_args()

    from mkdocs_pmtheater.catalogue.related import related_incidents
    from mkdocs_pmtheater.catalogue.themes import themes

    incidents = load(args.count, args.seed)
    start, cpu = time.perf_counter(), time.process_time()
    related = related_incidents(incidents)
    related_s, related_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    themes(incidents, timezone.utc)
    themes_s = time.perf_counter() - start
    whole = build_seconds(args.count, args.seed) if args.build else args.build_seconds
    listed = sum(len(v) for v in related.values()) / max(len(related), 1)
    print(f"incidents: {len(incidents)}")
    print(f"related incidents: {related_s:.2f} s wall, {related_cpu:.2f} s CPU "
          f"({listed:.1f} listed per playbill)")
    print(f"themes: {themes_s:.2f} s")
    print(f"build: {whole:.1f} s ({'measured' if args.build else 'given'})")
    print(f"share of the build: related {100 * related_s / whole:.1f} % by wall time, "
          f"{100 * related_cpu / whole:.1f} % by CPU time (a busy machine inflates wall "
          f"time; the build figure is from a quiet one); themes {100 * themes_s / whole:.1f} %"
          " (target: related at most 5 %)")


if __name__ == "__main__":
    main()
