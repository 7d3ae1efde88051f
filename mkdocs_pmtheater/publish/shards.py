"""Pagefind run on the playbills in parts of bounded size, merged again in the browser.

Why: Pagefind keeps every page's words in memory until it writes its bundle (and, in
1.x, a second copy of them while it sorts the pages by language). On the benchmark's
generated playbills that is about 0.32 MiB per playbill: 655 MiB for 2,000, 1.6 GiB for
5,000, so Pagefind's process, not the build's, was the largest of a build, and grew
without bound (Pagefind issue #842 reports big sites running out of memory). Run on at
most :func:`shard_size` playbills at a time, one run after another, its peak is that of
one part.

The first part is the bundle Pagefind always wrote (``site/pagefind/``); the others go
to ``site/pagefind/shard-2/``, ``shard-3/``… (each Pagefind's own bundle: its entry,
metadata, word index, fragments and filters; the scripts and WebAssembly, which only
the first part's are used, are removed), and the first part's entry file lists them
(:data:`PARTS_KEY`). The page's script merges them with Pagefind's own multisite search
(``mergeIndex``): the extra parts share the first part's WebAssembly, each adds its
small entry file and its share of the metadata, and a query fetches from each part the
chunk that holds its words.
Pagefind scores each part's pages against that part's own statistics and sorts the
merged results by score.

A part is a run of consecutive playbills in the order of their paths, so the same
sources give the same parts and the same bytes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

PARTS_KEY = "pmtheater_parts"
"""In the first part's ``pagefind-entry.json`` (which the page's script reads anyway, and
which every Pagefind bundle has, so that a bundle made by Pagefind's own command costs
no failed request): ``["shard-2/", ...]``, the other parts' folders relative to it (no
key: one part). Pagefind's script reads only the keys it knows."""

SHARD_FLOOR = 400
"""Playbills per part that a site never needs to go below: about 150 MiB of Pagefind."""

SHARDS_AT_MOST = 5
"""Parts a site gets at most when the size is automatic: each query fetches from every
part, so their number is kept small; at 5, a part is a fifth of the site, and Pagefind's
peak (0.064 MiB per playbill) stays under the build process's own growth (0.068 MiB)."""

PLAYBILL_MARK = b"data-pagefind-body"
"""What every playbill page holds (its article's attribute). A page that holds it only in
its text is put in a part too, where Pagefind leaves it out (it reads only the marked
elements of a part that has any, and every part has playbills); a playbill can never be
missed, whatever its markup."""

_SHARD_NAME = re.compile(r"shard-[0-9]+/")


def shard_size(pages: int, chosen: int | None = None) -> int:
    """Playbills per Pagefind run for a site of ``pages`` playbills: ``chosen`` (the
    plugin's ``pagefind_shard_size``, at least 1) when given, else the larger of
    :data:`SHARD_FLOOR` and a :data:`SHARDS_AT_MOST`-th of the site."""
    if chosen is not None and chosen > 0:
        return chosen
    return max(SHARD_FLOOR, -(-pages // SHARDS_AT_MOST))


def split(names: list[str], size: int) -> list[list[str]]:
    """``names`` (in order) as consecutive parts of at most ``size`` (≥ 1), as even as
    can be: 1,000 at 400 are 334, 333 and 333. No names: no parts."""
    if not names:
        return []
    count = -(-len(names) // max(1, size))
    return [names[i * len(names) // count:(i + 1) * len(names) // count]
            for i in range(count)]


def playbill_files(site: Path, glob: str) -> list[str]:
    """The files under ``site`` matching ``glob`` (Pagefind's pattern, read with
    :meth:`pathlib.Path.glob`) that hold :data:`PLAYBILL_MARK`: their paths relative to
    ``site`` (POSIX separators), sorted. The catalogue pages beside the playbills are
    left out: a part of them alone would have no marked element, and Pagefind would
    then index their whole text."""
    found = []
    for path in site.glob(glob):
        if path.is_file() and PLAYBILL_MARK in path.read_bytes():
            found.append(path.relative_to(site).as_posix())
    return sorted(found)


def count_files(site: Path, glob: str) -> int:
    """How many files under ``site`` match ``glob`` (an upper bound of the playbills)."""
    return sum(1 for path in site.glob(glob) if path.is_file())


def link_or_copy(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` (its folders made): a hard link where the file
    system allows one (the part's folder then costs no copy), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def prune_part(bundle: Path) -> None:
    """Remove from a part after the first what only the first part's copy serves:
    Pagefind's scripts, styles and WebAssembly (``mergeIndex`` uses the first's)."""
    for path in bundle.iterdir():
        if path.is_file() and (path.suffix in {".js", ".css"}
                               or (path.name.startswith("wasm.")
                                   and path.suffix == ".pagefind")):
            path.unlink()


def write_shard_list(bundle: Path, parts: list[str]) -> None:
    """List ``parts`` (``["shard-2/", ...]``) under :data:`PARTS_KEY` in the first part's
    entry file. Raises OSError, ValueError when that file cannot be read or written."""
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    entry[PARTS_KEY] = parts
    written = entry_path.with_name(entry_path.name + ".tmp")
    written.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")),
                       encoding="utf-8")
    os.replace(written, entry_path)


def read_shard_list(bundle: Path) -> list[Path]:
    """The folders of the parts after the first that the first part's entry lists (none
    when it lists none, or not as a list of ``shard-N/`` names)."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        listed = entry.get(PARTS_KEY, [])
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(listed, list):
        return []
    return [bundle / name for name in listed
            if isinstance(name, str) and _SHARD_NAME.fullmatch(name)]


def count_pages(bundle: Path) -> int:
    """The pages in a bundle and its parts: one fragment file each."""
    total = 0
    for folder in (bundle, *read_shard_list(bundle)):
        fragments = folder / "fragment"
        if fragments.is_dir():
            total += sum(1 for _ in fragments.iterdir())
    return total
