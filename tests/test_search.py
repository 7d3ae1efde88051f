"""Search that scales: Material's index keeps what finds an incident, Pagefind every word.

Real builds: Material's ``search/search_index.json`` is read as the browser
gets it, and Pagefind's bundle (``pagefind/``) is decoded from its fragment
files (gzip with a ``pagefind_dcd`` signature before the JSON).
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, BuiltSite, SiteFactory

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import write_site  # the benchmark's generator

SCENE_WORD = "quillback"
"""A word written only in the observation of the second scene of one incident."""

INCIDENT = """
id: INC-2024-031
title: Checkout errors after the pricing cache expired
severity: SEV2
started_at: 2024-03-14T14:02:00Z
resolved_at: 2024-03-14T15:10:00Z
summary: A million cache keys expired together and checkout failed.
services: [checkout-api, pricing-cache]
tags: [cache, stampede]
cast:
  - role: On-Call Engineer
    actor: "@priya"
timeline:
  - at: "14:06"
    character: On-Call Engineer
    action: Opens the cache dashboard.
  - at: "14:20"
    character: On-Call Engineer
    action: Reads the eviction graph.
    observation: The {word} panel shows every key expiring at once.
  - at: "14:30"
    id: flush
    character: On-Call Engineer
    action: Flushes the marmoset keys.
review:
  root_causes:
    - Bulk writes with one fixed TTL and no jitter.
  contributing_factors:
    - The dashboard hid expiries behind evictions.
action_items:
  - id: AI-1
    title: Add jitter to every pricing cache TTL
    owner: "@aiko"
    due: 2024-04-15
"""

OTHER = """
id: INC-2025-002
title: Slow payments after a library upgrade
severity: SEV3
started_at: 2025-01-21T09:00:00Z
summary: Latency doubled after a JSON library upgrade.
services: [payments-api]
tags: [latency]
"""


def fragments(site_dir: Path, part: str = "") -> list[dict]:
    """Every page Pagefind indexed, decoded from ``pagefind/fragment/`` (or from that of
    the part ``pagefind/<part>/``)."""
    pages = []
    for path in sorted((site_dir / "pagefind" / part / "fragment").iterdir()):
        raw = gzip.decompress(path.read_bytes())
        pages.append(json.loads(raw[raw.index(b"{"):]))
    return pages


def fragment(bundle: Path, name: str) -> dict:
    """The page a bundle (or part) names ``name`` in its metadata, decoded from its
    fragment file."""
    raw = gzip.decompress((bundle / "fragment" / f"{name}.pf_fragment").read_bytes())
    return json.loads(raw[raw.index(b"{"):])


def entry_of(bundle: Path) -> dict:
    """A bundle's ``pagefind-entry.json``."""
    return json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))


def index_words(bundle: Path) -> set[str]:
    """Every word of a bundle's (or a part's) word index."""
    return {word[0] for path in (bundle / "index").iterdir()
            for word in pagefind_file(path)[0]}


def material_index(site_dir: Path) -> dict:
    return json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))


def test_a_word_only_in_a_scene_is_found_by_pagefind_not_in_materials_index(
        site: SiteFactory) -> None:
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build(strict=True)
    assert built.warnings == []

    index = material_index(built.site_dir)
    text = json.dumps(index["docs"]).lower()
    assert SCENE_WORD not in text
    # What finds an incident stays in Material's index ...
    for kept in ("Checkout errors after the pricing cache expired",
                 "A million cache keys expired together", "checkout-api", "pricing-cache",
                 "stampede", "Bulk writes with one fixed TTL", "INC-2024-031", "SEV2"):
        assert kept.lower() in text, kept
    # ... and the rest does not: scenes, items, cast, contributing factors.
    for left_out in ("Reads the eviction graph", "Add jitter to every pricing cache TTL",
                     "@priya", "The dashboard hid expiries", "Cast of Characters",
                     "The Screenplay", "Call Sheet"):
        assert left_out.lower() not in text, left_out
    # No empty entries for the sections left out.
    playbill = [d for d in index["docs"] if d["location"].startswith("incidents/inc-2024-031/")]
    assert {d["location"].split("#")[-1] for d in playbill} == {
        "incidents/inc-2024-031/", "playbill", "the-story", "root-causes"}

    pages = {page["meta"]["id"]: page for page in fragments(built.site_dir)}
    assert set(pages) == {"INC-2024-031", "INC-2025-002"}  # playbills only
    page = pages["INC-2024-031"]
    assert page["url"] == "/incidents/inc-2024-031/"
    assert page["meta"]["title"] == "Checkout errors after the pricing cache expired"
    assert page["meta"]["date"] == "2024-03-14"
    assert page["filters"] == {"severity": ["SEV2"], "status": ["published"],
                               "service": ["checkout-api", "pricing-cache"],
                               "tag": ["cache", "stampede"], "year": ["2024"]}
    words = page["content"].split()
    at = next(i for i, w in enumerate(words) if SCENE_WORD in w.lower())
    before = [a for a in page["anchors"] if a["location"] <= at]
    assert before[-1]["id"] == "scene-2"  # the browser links the hit to #scene-2
    assert SCENE_WORD not in json.dumps(pages["INC-2025-002"]).lower()


def test_pagefind_indexes_what_the_file_says_not_the_templates_labels(site: SiteFactory) -> None:
    """Labels every playbill repeats ("Saw:", column headings, the derived "since impact
    began" times, the critique's lede, the plot points' recap of their scenes) stay out
    of Pagefind: on 10,000 playbills they are index words on every page that only make
    the index and each result's fragment bigger. Every value of the file stays."""
    site.incident("2024/checkout.yaml", INCIDENT.replace(
        "    observation: The {word}", "    belief: The cache was warm.\n"
        "    plot_point: climax\n    observation: The {word}").replace(
        "cast:\n", "director: Dana Cole\nreview_date: 2024-03-16\ncast:\n").replace(
        "  root_causes:", "  five_whys:\n    - why: Why did keys expire together?\n"
        "      because: One fixed TTL.\n  root_causes:").replace(
        "    due: 2024-04-15", "    due: 2024-04-15\n    kind: prevent\n"
        "    tracker: https://tracker.example.com/REL-7").format(word=SCENE_WORD))
    built = site.build(strict=True)
    assert built.warnings == []
    page = next(p for p in fragments(built.site_dir) if p["meta"]["id"] == "INC-2024-031")
    content = page["content"]
    for written in (SCENE_WORD, "The cache was warm.", "climax", "Dana Cole", "2024-03-16",
                    "Why did keys expire together?", "One fixed TTL.", "prevent",
                    "https://tracker.example.com/REL-7", "@aiko", "2024-04-15",
                    "On-Call Engineer", "@priya", "Reads the eviction graph.", "14:20"):
        assert written in content, written
    for label in ("Saw:", "Believed:", "Why?", "Because", "Kind:", "Tracker:", "Overdue",
                  "Played by", "Since impact began", "time to resolve", "Milestones",
                  "Marked in the screenplay", "A blameless review", "Times in UTC"):
        assert label not in content, label
    # Each scene and action item is still an anchor a result can link to.
    assert {"scene-1", "scene-2", "scene-flush", "ai-1"} <= {a["id"] for a in page["anchors"]}


def test_pagefind_off_writes_no_bundle(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"pagefind": False}}]
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    built = site.build(strict=True)
    assert not (built.site_dir / "pagefind").exists()
    assert built.exists("incidents/inc-2024-031/")


def test_a_pagefind_that_fails_is_a_warning_and_the_site_is_still_built(
        site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pagefind's API runs the binary named by PAGEFIND_BINARY_PATH: here one that exits.
    broken = tmp_path / "pagefind-broken"
    broken.write_text("#!/bin/sh\necho 'no index for you' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(broken))
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    built = site.build()
    (warning,) = built.warnings_about("Pagefind")
    assert "could not index the site" in warning and "pagefind: false" in warning
    assert built.exists("incidents/inc-2024-031/")
    assert built.exists("incidents/")
    with pytest.raises(SystemExit):  # and a strict build fails on it
        site.build(strict=True)


def test_a_pagefind_binary_that_cannot_run_is_a_warning(
        site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-pagefind"))
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    built = site.build()
    (warning,) = built.warnings_about("Pagefind")
    assert "binary could not run" in warning and "no-such-pagefind" in warning
    assert "Traceback" not in warning
    assert built.exists("incidents/inc-2024-031/")


def test_materials_index_stays_under_1_5_kb_per_incident(tmp_path: Path) -> None:
    """The issue's target, on a generated 200-incident site (the benchmark's generator:
    about 15 scenes, 6 action items and 2 awards each)."""
    root = write_site(tmp_path / "generated", 200)
    from conftest import build_site

    built = build_site(root)
    assert built.warnings == []
    size = (built.site_dir / "search" / "search_index.json").stat().st_size
    others = [d for d in material_index(built.site_dir)["docs"]
              if not d["location"].startswith("incidents/inc-")]
    other_bytes = len(json.dumps(others, separators=(",", ":")))
    per_incident = (size - other_bytes) / 200
    assert per_incident <= 1536, f"{per_incident:.0f} bytes per incident"
    # Every word is still findable: Pagefind indexed every playbill.
    assert len(fragments(built.site_dir)) == 200
    tightened = check_chunk_bounds(built.site_dir / "pagefind")
    # What the exact bounds save: a word that only begins with a chunk's last word (and
    # falls between two chunks) no longer fetches that chunk, as Pagefind's own bounds made
    # it do (on 10,000 playbills: the chunk of "a" for "autoscaler", 220 KB).
    [meta_path] = (built.site_dir / "pagefind").glob("pagefind.*.pf_meta")
    chunks = pagefind_file(meta_path)[2]
    as_pagefind_wrote = [[low, high.rstrip("\0"), name] for low, high, name in chunks]
    spared = [(high[:-1] + "0", name) for _, high, name in tightened
              if name in chunks_for(high[:-1] + "0", as_pagefind_wrote)]
    assert spared, tightened
    assert all(name not in chunks_for(term, chunks) for term, name in spared), spared


def pagefind_file(path: Path):
    """One of Pagefind's CBOR files (metadata, index chunk), decoded."""
    import cbor2

    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(b"pagefind_dcd")
    return cbor2.loads(raw[len(b"pagefind_dcd"):])


def chunks_for(term: str, chunks: list[list[str]]) -> set[str]:
    """The index chunks Pagefind 1.5's browser side fetches for one word of a query
    (``request_indexes`` in pagefind_web: the chunks whose bounds hold the word, else those
    whose bounds, cut to the word's length, bracket it)."""
    strict = {name for low, high, name in chunks if low <= term <= high}
    if strict:
        return strict
    return {name for low, high, name in chunks
            if term[:len(low)] >= low[:len(term)] and term[:len(high)] <= high[:len(term)]}


def check_chunk_bounds(bundle: Path) -> list[list[str]]:
    """The index chunks' bounds after ``tighten_chunk_bounds``: some were made exact (the
    chunk's last word and a NUL), and Pagefind still fetches the chunk of every word of
    the index when that word is searched (nothing became unfindable). Returns the
    tightened chunks."""
    [meta_path] = bundle.glob("pagefind.*.pf_meta")
    chunks = pagefind_file(meta_path)[2]
    tightened = [c for c in chunks if c[1].endswith("\0")]
    assert tightened, [c[:2] for c in chunks]
    for low, high, name in chunks:
        words = [w[0] for w in pagefind_file(bundle / "index" / f"{name}.pf_index")[0]]
        for word in words:
            assert name in chunks_for(word, chunks), (word, low, high)
        if high.endswith("\0"):
            assert words[-1] == high[:-1]
    return tightened


def test_zensical_route_indexes_with_python_m_pagefind(tmp_path: Path) -> None:
    """Under Zensical the site is built after ``pmtheater render``: the documented step
    ``python -m pagefind --site site`` indexes the playbills (and only them)."""
    root = tmp_path / "z"
    docs = root / "docs" / "incidents"
    docs.mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n")
    (docs / "checkout.yaml").write_text(INCIDENT.format(word=SCENE_WORD).lstrip())
    (docs / "payments.yaml").write_text(OTHER.lstrip())
    (root / "zensical.toml").write_text(
        '[project]\nsite_name = "Z"\n'
        'extra_css = ["assets/pmtheater/pmtheater.css"]\n'
        'extra_javascript = ["assets/pmtheater/pmtheater.js"]\n'
        'exclude_docs = """\nincidents/**/*.yaml\n"""\n')
    for command in (["-m", "mkdocs_pmtheater.cli", "render"],
                    ["-m", "zensical", "build", "--clean"],
                    ["-m", "pagefind", "--site", "site"]):
        done = subprocess.run([sys.executable, *command], cwd=root, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
    pages = {page["meta"]["id"]: page for page in fragments(root / "site")}
    assert set(pages) == {"INC-2024-031", "INC-2025-002"}
    page = pages["INC-2024-031"]
    assert SCENE_WORD in page["content"].lower()
    assert page["filters"]["severity"] == ["SEV2"]
    search = json.loads((root / "site" / "search.json").read_text(encoding="utf-8"))
    assert SCENE_WORD not in json.dumps(search).lower()
    assert "bulk writes with one fixed ttl" in json.dumps(search).lower()
    # The plugin's own step does the same, plus exact chunk bounds: indexed again with it.
    done = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.publish.fulltext", "site"],
                          cwd=root, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Pagefind indexed 2 playbills into" in done.stdout
    assert {page["meta"]["id"] for page in fragments(root / "site")} == set(pages)
    assert "pmtheater_parts" not in entry_of(root / "site" / "pagefind")
    # In parts, as the plugin's 'pagefind_shard_size' does; a part's links are not left
    # beside the site.
    done = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.publish.fulltext", "site",
                           "--shard-size", "1"], cwd=root, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Pagefind indexed 2 playbills into" in done.stdout
    assert [p["meta"]["id"] for p in fragments(root / "site")] == ["INC-2024-031"]
    assert [p["meta"]["id"] for p in fragments(root / "site", "shard-2")] == ["INC-2025-002"]
    assert entry_of(root / "site" / "pagefind")["pmtheater_parts"] == ["shard-2/"]
    assert not [p for p in root.iterdir() if "shards" in p.name]
    done = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.publish.fulltext", "site",
                           "--shard-size", "0"], cwd=root, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 2 and "--shard-size must be at least 1" in done.stderr
    done = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.publish.fulltext",
                           "no-such-site"], cwd=root, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 1 and "Pagefind could not index the site" in done.stderr


def _write_bundle(bundle: Path, order: list[int]) -> None:
    """A Pagefind 1.x bundle's entry, metadata and two filter files, the filters and
    their values listed in ``order`` (as Pagefind's hash maps give them)."""
    import cbor2

    def packed(value: object) -> bytes:
        return gzip.compress(b"pagefind_dcd" + cbor2.dumps(value))

    filters = {"tag": [["dns", [0, 2]], ["cache", [1]], ["deploy", [0, 1, 2]]],
               "year": [["2024", [0]], ["2023", [1, 2]], ["2025", []]]}
    (bundle / "filter").mkdir(parents=True)
    listed = []
    for number, (name, values) in enumerate(filters.items()):
        hashed = f"en_{order[0]}{number}abcde"
        (bundle / "filter" / f"{hashed}.pf_filter").write_bytes(
            packed([name, [values[i] for i in order]]))
        listed.append([name, hashed])
    meta = ["1.5.2", [["en_1", 10], ["en_2", 12], ["en_3", 9]], [["a", "z", "en_c"]],
            listed[::-1] if order[0] else listed, [[], []]]
    (bundle / f"pagefind.en_{order[0]}123456789.pf_meta").write_bytes(packed(meta))
    (bundle / "pagefind-entry.json").write_text(json.dumps(
        {"version": "1.5.2", "languages": {"en": {
            "hash": f"en_{order[0]}123456789", "wasm": "en", "page_count": 3}}}))


def test_order_filters_gives_one_bundle_for_the_same_pages(tmp_path: Path) -> None:
    from mkdocs_pmtheater.publish.fulltext import order_filters

    bundles = [tmp_path / "a", tmp_path / "b"]
    _write_bundle(bundles[0], [0, 1, 2])
    _write_bundle(bundles[1], [2, 0, 1])
    assert [order_filters(b) for b in bundles] == [2, 2]
    files = [{p.relative_to(b).as_posix(): p.read_bytes() for p in b.rglob("*") if p.is_file()}
             for b in bundles]
    assert files[0] == files[1]
    entry = json.loads(files[0]["pagefind-entry.json"])
    meta = pagefind_file(bundles[0] / f"pagefind.{entry['languages']['en']['hash']}.pf_meta")
    assert [name for name, _ in meta[3]] == ["tag", "year"]
    tag = pagefind_file(bundles[0] / "filter" / f"{meta[3][0][1]}.pf_filter")
    assert tag == ["tag", [["cache", [1]], ["deploy", [0, 1, 2]], ["dns", [0, 2]]]]
    # Run again: the same bytes (names are the content's).
    order_filters(bundles[0])
    assert {p.relative_to(bundles[0]).as_posix(): p.read_bytes()
            for p in bundles[0].rglob("*") if p.is_file()} == files[0]


def test_order_filters_leaves_another_format_alone(tmp_path: Path) -> None:
    from mkdocs_pmtheater.publish.fulltext import order_filters

    bundle = tmp_path / "b"
    _write_bundle(bundle, [1, 0, 2])
    entry = bundle / "pagefind-entry.json"
    entry.write_text(entry.read_text().replace('"1.5.2"', '"2.0.0"'))
    before = {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    assert order_filters(bundle) == 0
    assert {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == before


EARLY = """
id: INC-2023-001
title: Checkout timeouts during the spring sale
severity: SEV1
started_at: 2023-04-02T10:00:00Z
summary: Checkout waited on a saturated connection pool.
services: [checkout-api]
tags: [capacity]
"""


def build_in_parts(site: SiteFactory, size: int) -> BuiltSite:
    """The site with :data:`EARLY`, :data:`INCIDENT` and :data:`OTHER`, built strictly with
    at most ``size`` playbills per Pagefind run; no warning."""
    site.config["plugins"] = ["search", {"pmtheater": {"pagefind_shard_size": size}}]
    site.incident("2023/early.yaml", EARLY)
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build(strict=True)
    assert built.warnings == []
    return built


def test_an_index_in_parts_holds_each_playbill_once(site: SiteFactory) -> None:
    """``pagefind_shard_size: 2`` on three playbills: Pagefind runs twice, one after the
    other; the first part is the usual bundle, the second ``pagefind/shard-2/`` with only
    its data (the page merges it with the first's scripts and WebAssembly), listed in
    its entry file (``pmtheater_parts``). Each playbill is in exactly one part, in path order, and
    its words only in its part's index."""
    built = build_in_parts(site, 2)
    bundle = built.site_dir / "pagefind"
    assert entry_of(bundle)["pmtheater_parts"] == ["shard-2/"]
    first = [page["meta"]["id"] for page in fragments(built.site_dir)]
    second = [page["meta"]["id"] for page in fragments(built.site_dir, "shard-2")]
    assert first == ["INC-2023-001"]  # parts as even as can be, the bigger ones last
    assert sorted(second) == ["INC-2024-031", "INC-2025-002"]
    assert "pool" in index_words(bundle)
    assert "pool" not in index_words(bundle / "shard-2")
    assert SCENE_WORD in index_words(bundle / "shard-2")
    assert SCENE_WORD not in index_words(bundle)
    assert (bundle / "pagefind.js").is_file() and (bundle / "wasm.en.pagefind").is_file()
    # pagefind.js gzipped beside it (pack_script), for the page's worker: the first part
    # only, as the script is.
    script = (bundle / "pagefind.js").read_bytes()
    packed = (bundle / "pagefind-js.pagefind").read_bytes()
    assert gzip.decompress(packed) == script and len(packed) < len(script) / 3
    assert packed[4:8] == b"\0\0\0\0"  # no time in it (RFC 1952, MTIME): same bytes
    kept = sorted(p.name for p in (bundle / "shard-2").iterdir())
    assert kept[:4] == ["filter", "fragment", "index", "pagefind-entry.json"]
    assert len(kept) == 5 and kept[4].endswith(".pf_meta"), kept
    # Each part's filters and metadata are already in the fixed order and named by
    # content, its chunk bounds exact: doing it again changes no file.
    from mkdocs_pmtheater.publish.fulltext import order_filters, tighten_chunk_bounds

    def snapshot() -> dict[str, bytes]:
        part = bundle / "shard-2"
        return {p.relative_to(part).as_posix(): p.read_bytes()
                for p in part.rglob("*") if p.is_file()}

    before = snapshot()
    assert order_filters(bundle / "shard-2") > 0
    tighten_chunk_bounds(bundle / "shard-2")
    assert snapshot() == before
    entry = json.loads((bundle / "shard-2" / "pagefind-entry.json").read_text())
    assert entry["languages"]["en"]["page_count"] == 2


def test_a_site_that_fits_one_part_lists_no_other_part(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"pagefind_shard_size": 2}}]
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build(strict=True)
    bundle = built.site_dir / "pagefind"
    assert len(fragments(built.site_dir)) == 2
    assert "pmtheater_parts" not in entry_of(bundle)
    assert not list(bundle.glob("shard-*"))


@pytest.mark.parametrize("size", [0, -3, True])
def test_a_shard_size_that_is_not_a_number_of_playbills_stops_the_build(
        site: SiteFactory, size: object) -> None:
    from mkdocs.exceptions import Abort

    site.config["plugins"] = ["search", {"pmtheater": {"pagefind_shard_size": size}}]
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    with pytest.raises(Abort) as caught:
        site.build()
    assert re.search(r"pagefind_shard_size: .* give 1 or more", str(caught.value.__context__))


def pagefind_until_its_second_run(folder: Path, then: str) -> Path:
    """A Pagefind binary (for ``PAGEFIND_BINARY_PATH``) that runs the real one the first
    time, and the shell commands ``then`` from its second run on."""
    from pagefind.service import get_executable

    counter = folder / "runs"
    binary = folder / "pagefind-then"
    binary.write_text(f"#!/bin/sh\necho x >> {counter}\n"
                      f"if [ $(wc -l < {counter}) -gt 1 ]; then {then}; fi\n"
                      f'exec {get_executable()} "$@"\n')
    binary.chmod(0o755)
    return binary


def test_a_pagefind_that_fails_on_a_later_part_is_a_warning(
        site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pagefind fails on its second run (a binary that works once, then exits 3): the
    build warns as for any failing Pagefind, and the site is still built."""
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(pagefind_until_its_second_run(
        tmp_path, "echo 'second run' >&2; exit 3")))
    site.config["plugins"] = ["search", {"pmtheater": {"pagefind_shard_size": 1}}]
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build()
    (warning,) = built.warnings_about("Pagefind")
    assert "could not index the site" in warning and "second run" in warning
    assert built.exists("incidents/inc-2024-031/")
    # No part is left: a bundle without the second part would find only some playbills.
    assert not (built.site_dir / "pagefind").exists()


def test_parts_are_consecutive_and_as_even_as_can_be() -> None:
    from mkdocs_pmtheater.publish.shards import shard_size, split

    names = [f"p{i:04}" for i in range(1000)]
    parts = split(names, 400)
    assert [len(p) for p in parts] == [333, 333, 334]
    assert [n for p in parts for n in p] == names
    assert split(names[:3], 1) == [["p0000"], ["p0001"], ["p0002"]]
    assert split([], 5) == []
    assert split(names[:5], 10) == [names[:5]]
    assert shard_size(100) == 400 and shard_size(2000) == 400
    assert shard_size(10000) == 2000 and shard_size(10001) == 2001
    assert shard_size(10000, 250) == 250


def all_words(bundle: Path) -> list:
    """Every word entry of a bundle's index, in the order of its chunks."""
    [meta_path] = bundle.glob("pagefind.*.pf_meta")
    return [word for _, _, name in pagefind_file(meta_path)[2]
            for word in pagefind_file(bundle / "index" / f"{name}.pf_index")[0]]


def words_by_page(bundle: Path) -> dict[str, list]:
    """Every word of a bundle's index (and each of its variants, the word with its
    diacritics) with the pages it is on, each named by its URL (from its fragment), with
    its word positions, in the URLs' order: not by page number, which Pagefind's own
    command gives in the order it read the files (the file system's), and the build in
    the order of the pages' URLs; nor by fragment name, which the build gives in sequence
    (``name_in_sequence``) and Pagefind by content."""
    [meta_path] = bundle.glob("pagefind.*.pf_meta")
    pages = [fragment(bundle, page[0])["url"] for page in pagefind_file(meta_path)[1]]
    def named(postings: list) -> list:
        number, found = 0, []
        for delta, *positions in postings:  # page numbers as steps from the one before
            number += delta
            found.append([pages[number], *positions])
        return sorted(found)

    return {word: [named(postings), [[variant, named(more)] for variant, more in variants]]
            for word, postings, variants in all_words(bundle)}


def test_index_chunks_hold_a_common_word_alone_and_lose_no_word(tmp_path: Path) -> None:
    """``split_index_chunks`` on a generated 200-incident site: Pagefind's own command on
    the same playbills gives the same words on the same pages, in the same order; no chunk of
    several words goes over :data:`INDEX_CHUNK_BYTES`, and every word is fetched through
    exactly one chunk, its own. Where Pagefind put a common word in a chunk with the
    words before it, a word over the target is alone in its chunk."""
    import cbor2
    from conftest import build_site

    from mkdocs_pmtheater.publish.fulltext import INDEX_CHUNK_BYTES, split_index_chunks

    built = build_site(write_site(tmp_path / "generated", 200))
    bundle = built.site_dir / "pagefind"
    raw = tmp_path / "raw"
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(built.site_dir),
                           "--glob", "incidents/**/*.html", "--output-path", str(raw)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [word[0] for word in all_words(bundle)] == [word[0] for word in all_words(raw)]
    assert words_by_page(bundle) == words_by_page(raw)

    [meta_path] = bundle.glob("pagefind.*.pf_meta")
    chunks = pagefind_file(meta_path)[2]
    [raw_meta] = raw.glob("pagefind.*.pf_meta")
    raw_chunks = pagefind_file(raw_meta)[2]
    assert len(chunks) > len(raw_chunks)
    for _, _, name in chunks:
        words = pagefind_file(bundle / "index" / f"{name}.pf_index")[0]
        size = sum(len(cbor2.dumps(word)) for word in words)
        assert len(words) == 1 or size <= INDEX_CHUNK_BYTES, (name, len(words), size)
        for word in words:
            assert chunks_for(word[0], chunks) == {name}, word[0]
    # Pagefind's own chunks put its biggest word with others; cut with a target this
    # site's words outgrow (its biggest, "the", is 15 KB of CBOR on 200 playbills and 150
    # KB on 2,000), Pagefind's bundle gets that word alone: the bytes a query saves.
    biggest = max(all_words(raw), key=lambda word: len(cbor2.dumps(word)))
    [raw_name] = chunks_for(biggest[0], raw_chunks)
    assert len(pagefind_file(raw / "index" / f"{raw_name}.pf_index")[0]) > 1
    target = len(cbor2.dumps(biggest)) - 1
    assert split_index_chunks(raw, target) > 0
    assert words_by_page(raw) == words_by_page(bundle)
    [raw_meta] = raw.glob("pagefind.*.pf_meta")
    raw_chunks = pagefind_file(raw_meta)[2]
    [raw_name] = chunks_for(biggest[0], raw_chunks)
    # That word alone (its pages numbered in URL order now, as in the build's bundle).
    assert [word[0] for word in pagefind_file(raw / "index" / f"{raw_name}.pf_index")[0]
            ] == [biggest[0]]
    # Done already: a second run changes nothing.
    files = {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    assert split_index_chunks(bundle) == 0
    assert {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == files


def test_split_index_chunks_leaves_another_format_alone(tmp_path: Path) -> None:
    from mkdocs_pmtheater.publish.fulltext import split_index_chunks

    bundle = tmp_path / "b"
    _write_bundle(bundle, [1, 0, 2])
    # A chunk list naming a file that is not a chunk of words: left as it is.
    meta_path = next(bundle.glob("pagefind.*.pf_meta"))
    meta = pagefind_file(meta_path)
    meta[2] = [["a", "b", "en_0000001"], ["c", "d", "en_0000002"]]
    (bundle / "index").mkdir()
    for name in ("en_0000001", "en_0000002"):
        (bundle / "index" / f"{name}.pf_index").write_bytes(
            gzip.compress(b"pagefind_dcd" + b"\xa1\x61a\x01"))  # a map, not [[words]]
    import cbor2

    meta_path.write_bytes(gzip.compress(b"pagefind_dcd" + cbor2.dumps(meta)))
    before = {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    assert split_index_chunks(bundle) == 0
    entry = bundle / "pagefind-entry.json"
    entry.write_text(entry.read_text().replace('"1.5.2"', '"2.0.0"'))
    before = {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    assert split_index_chunks(bundle) == 0
    assert {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == before


SEQUENCE_NAME = re.compile(r"([0-9a-f]{10})-([0-9a-f]+)")
"""A fragment's or index chunk's name as ``name_in_sequence`` gives it: salt, number."""


def bundle_parts(bundle: Path) -> list[Path]:
    """A bundle's first part and every part its entry lists."""
    return [bundle, *(bundle / name for name in entry_of(bundle).get("pmtheater_parts", []))]


def named_files(part: Path) -> dict[str, bytes]:
    """Every fragment and index chunk of a part, by ``folder/name``, gunzipped."""
    return {f"{path.parent.name}/{path.name}": gzip.decompress(path.read_bytes())
            for folder in ("fragment", "index") for path in (part / folder).iterdir()}


def test_fragments_and_chunks_are_named_in_sequence_and_no_name_is_reused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``name_in_sequence`` on a built site in three parts: every page's fragment and every
    index chunk is named ``<salt>-<n>``, n counting from 0 in the metadata's order, one salt
    per part, and those are the only files there. Run again, it changes nothing. After one
    incident changes, a name found in both builds always holds the same bytes (a browser
    or CDN keeping files by name is never stale), and the part holding the change renamed
    all its files. A failure half way leaves Pagefind's own bundle as it was; then done,
    the same words are found on the same pages, and the WebAssembly is the same module in
    fewer bytes."""
    from conftest import build_site

    from mkdocs_pmtheater.publish import fulltext
    from mkdocs_pmtheater.publish.fulltext import name_in_sequence, pack_webassembly

    root = write_site(tmp_path / "generated", 40)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "  - pmtheater\n", "  - pmtheater:\n      pagefind_shard_size: 15\n"))
    first = build_site(root, site_dir=tmp_path / "site-1").site_dir / "pagefind"
    parts = bundle_parts(first)
    assert len(parts) == 3
    salts = []
    for part in parts:
        [meta_path] = part.glob("pagefind.*.pf_meta")
        meta = pagefind_file(meta_path)
        for names, folder in (([page[0] for page in meta[1]], "fragment"),
                              ([chunk[2] for chunk in meta[2]], "index")):
            found = [SEQUENCE_NAME.fullmatch(name) for name in names]
            assert all(found), names
            assert [int(m[2], 16) for m in found] == list(range(len(names)))
            salts.extend(m[1] for m in found)
            suffix = ".pf_fragment" if folder == "fragment" else ".pf_index"
            assert sorted(p.name for p in (part / folder).iterdir()) == sorted(
                name + suffix for name in names)
        assert len(set(salts)) == len(parts[:parts.index(part) + 1])
    before = {part: named_files(part) for part in parts}
    assert [name_in_sequence(part) for part in parts] == [0, 0, 0]
    assert {part: named_files(part) for part in parts} == before

    # One incident's summary changes: its first two words swapped (the same words, the
    # same counts and chunk bounds, so the metadata without names is unchanged: only the
    # fragment and the chunks' positions tell the builds apart). A name in both builds
    # holds the same bytes.
    changed = sorted((root / "docs" / "incidents").rglob("*.yaml"))[0]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(re.sub(r"summary: (\w+) (\w+)", r"summary: \2 \1", text, count=1),
                       encoding="utf-8")
    assert changed.read_text(encoding="utf-8") != text
    second = build_site(root, site_dir=tmp_path / "site-2").site_dir / "pagefind"
    renamed = 0
    for old_part, new_part in zip(parts, bundle_parts(second), strict=True):
        old, new = named_files(old_part), named_files(new_part)
        assert all(old[name] == new[name] for name in old.keys() & new.keys())
        if old.keys() != new.keys():
            assert not old.keys() & new.keys()  # the whole part renamed
            renamed += 1
    assert renamed >= 1

    # Pagefind's own bundle of the same playbills: a failure half way changes nothing.
    raw = tmp_path / "raw"
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site",
                           str(tmp_path / "site-1"), "--glob", "incidents/**/*.html",
                           "--output-path", str(raw)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    pagefind_own = {p.relative_to(raw): p.read_bytes() for p in raw.rglob("*") if p.is_file()}
    calls = []
    real_link = fulltext._link

    def failing_link(old: Path, new: Path) -> None:
        calls.append(new)
        if len(calls) == 5:
            raise OSError("disk full")
        real_link(old, new)

    monkeypatch.setattr(fulltext, "_link", failing_link)
    assert name_in_sequence(raw) == 0
    assert len(calls) == 5
    assert {p.relative_to(raw): p.read_bytes() for p in raw.rglob("*")
            if p.is_file()} == pagefind_own
    monkeypatch.undo()
    words = words_by_page(raw)
    assert name_in_sequence(raw) > 0
    assert words_by_page(raw) == words
    assert not any(SEQUENCE_NAME.fullmatch(p.stem) is None
                   for folder in ("fragment", "index") for p in (raw / folder).iterdir())
    # The WebAssembly: the same module, fewer bytes (libdeflate, in the test extra).
    wasm = sorted(raw.glob("wasm.*.pagefind"))
    assert wasm and pack_webassembly(raw) == len(wasm)
    for path in wasm:
        assert gzip.decompress(path.read_bytes()) == gzip.decompress(
            pagefind_own[path.relative_to(raw)])
        assert len(path.read_bytes()) < len(pagefind_own[path.relative_to(raw)])
    assert pack_webassembly(raw) == 0


def test_bundle_files_are_gzipped_by_libdeflate_or_else_by_zlib(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``_gzipped``: a gzip member with no time in its header (the same data, the same
    bytes), smaller from libdeflate than zlib's level 9 makes it; without the ``deflate``
    package, zlib's level 9."""
    from mkdocs_pmtheater.publish.fulltext import _gzipped

    data = b"pagefind_dcd" + json.dumps(
        [[f"page-{n}", n * 7 % 1000] for n in range(3000)]).encode()
    packed = _gzipped(data)
    assert gzip.decompress(packed) == data
    assert packed[4:8] == b"\0\0\0\0"  # MTIME (RFC 1952, section 2.3)
    zlib_9 = gzip.compress(data, compresslevel=9, mtime=0)
    assert len(packed) < len(zlib_9)
    monkeypatch.setitem(sys.modules, "deflate", None)  # not installed
    assert _gzipped(data) == zlib_9


def test_pack_script_without_pagefinds_script_writes_nothing(tmp_path: Path) -> None:
    """A bundle without ``pagefind.js`` (a damaged one; another tool's) gets no gzipped
    copy and no error: the page's worker then imports ``pagefind.js`` or says search is
    not available, as before."""
    from mkdocs_pmtheater.publish.fulltext import PACKED_SCRIPT, pack_script

    assert pack_script(tmp_path) is False
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "pagefind.js").write_text("export const x = 1;\n")
    assert pack_script(tmp_path) is True
    assert gzip.decompress((tmp_path / PACKED_SCRIPT).read_bytes()) == b"export const x = 1;\n"
