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

With ``--edits N``, it also times what ``mkdocs serve --dirty`` pays after a
title edit: the computation with the plugin's caches (``FeatureCache``,
``RelatedMemo``) after each of N title edits (as ``benchmarks/serve.py`` saves
them: one incident's title, then the file put back), CPU seconds, the cycle
collector frozen as the plugin freezes it during a build; and checks each
answer against a fresh computation.

    python benchmarks/related.py --count 2000 --edits 6
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate_incident, incident_yaml, write_site  # noqa: E402


def generated(count: int, seed: int) -> list[tuple[bytes, str, str]]:
    rng = random.Random(seed)
    triples = []
    for index in range(1, count + 1):
        data = generate_incident(index, rng)
        triples.append((incident_yaml(data).encode(), f"incidents/{index}.yaml", f"{index}.yaml"))
    return triples


def load(count: int, seed: int, triples: list[tuple[bytes, str, str]] | None = None,
         loader: Any = None) -> list:
    """The incidents of ``triples`` (default: ``count`` generated ones); a ``loader``
    kept between calls gives the same object for unchanged bytes, as under serve."""
    from mkdocs_pmtheater.load.loader import IncidentLoader

    if loader is None:
        loader = IncidentLoader(("SEV1", "SEV2", "SEV3", "SEV4", "SEV5"), timezone.utc)
    catalog = loader.load(iter(triples or generated(count, seed)),
                          page_exists=lambda uri: True, pages=lambda: [], reserved=set())
    return catalog.incidents


def title_edits(count: int, seed: int, edits: int) -> list[float]:
    """CPU seconds of the related computation with serve's caches after each of ``edits``
    title edits (each followed by the file put back, not timed)."""
    from mkdocs_pmtheater.catalogue.related import (
        FeatureCache,
        RelatedMemo,
        related_incidents,
    )
    from mkdocs_pmtheater.load.loader import IncidentLoader

    def as_ids(found: dict) -> dict:
        return {k: [(r.incident.id, r.score, r.reasons) for r in v] for k, v in found.items()}

    triples = generated(count, seed)
    loader = IncidentLoader(("SEV1", "SEV2", "SEV3", "SEV4", "SEV5"), timezone.utc)
    cache: FeatureCache = {}
    memo = RelatedMemo()
    related_incidents(load(count, seed, triples, loader), features=cache, memo=memo)
    seconds = []
    for n in range(edits):
        index = (n * 7919) % len(triples)
        edited = list(triples)
        text, path, name = triples[index]
        edited[index] = (re.sub(rb"^title: .*$", f"title: Edited title {n}".encode(), text,
                                count=1, flags=re.M), path, name)
        for version in (edited, triples):
            incidents = load(count, seed, version, loader)
            gc.collect()
            gc.freeze()  # as the plugin does in on_files: no full passes over the kept
            try:
                start = time.process_time()
                served = related_incidents(incidents, features=cache, memo=memo)
                if version is edited:
                    seconds.append(time.process_time() - start)
            finally:
                gc.unfreeze()
            assert as_ids(served) == as_ids(related_incidents(incidents)), n
    return seconds


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
    parser.add_argument("--edits", type=int, default=0,
                        help="also time serve --dirty's computation after this many title edits")
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
    if args.edits:
        seconds = title_edits(args.count, args.seed, args.edits)
        median = statistics.median(seconds)
        print(f"serve --dirty, after a title edit: related incidents {median:.3f} s CPU median"
              f" ({min(seconds):.3f} to {max(seconds):.3f}, {len(seconds)} edits),"
              " each answer equal to a fresh computation's")


if __name__ == "__main__":
    main()
