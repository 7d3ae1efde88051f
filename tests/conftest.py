"""Shared helpers: build real MkDocs sites into temporary folders and read their HTML."""

from __future__ import annotations

import logging
import os
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from mkdocs.commands.build import build
from mkdocs.config import load_config

REPO = Path(__file__).resolve().parent.parent
BUILD_EPOCH = "1795651200"
"""2026-11-26T00:00:00Z: the build date for tests that depend on "today"."""
EXAMPLE_SITE = REPO / "example-site"

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


@dataclass
class BuiltSite:
    root: Path
    site_dir: Path
    warnings: list[str] = field(default_factory=list)
    """Every WARNING (or worse) logged under the ``mkdocs`` logger during the build."""

    def html(self, url_path: str) -> BeautifulSoup:
        """Parse the page at ``url_path`` (like ``incidents/inc-1/``)."""
        path = self.site_dir / url_path
        if url_path.endswith("/") or not url_path:
            path = path / "index.html"
        return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")

    def exists(self, url_path: str) -> bool:
        path = self.site_dir / url_path
        return (path / "index.html").is_file() if url_path.endswith("/") else path.is_file()

    def warnings_about(self, needle: str) -> list[str]:
        return [w for w in self.warnings if needle in w]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(root: Path, *, strict: bool = False, site_dir: Path | None = None) -> BuiltSite:
    """Run a real ``mkdocs build`` of ``root/mkdocs.yml`` in this process."""
    site_dir = site_dir or root / "site"
    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    cwd = os.getcwd()
    try:
        os.chdir(root)
        config = load_config(str(root / "mkdocs.yml"), site_dir=str(site_dir), strict=strict)
        build(config)
    finally:
        os.chdir(cwd)
        logger.removeHandler(handler)
    return BuiltSite(root, site_dir, handler.messages)


DEFAULT_CONFIG = {
    "site_name": "Test site",
    "site_url": "https://docs.example.test/",
    "repo_url": "https://github.com/acme/docs",
    "edit_uri": "edit/main/docs/",
    "theme": {"name": "material", "features": ["content.action.edit"]},
    "markdown_extensions": ["admonition", "attr_list", "md_in_html", "tables",
                            {"toc": {"permalink": True}}],
    "plugins": ["search", "pmtheater"],
}


@dataclass
class SiteFactory:
    """Writes a small docs project; incidents are given as YAML text."""

    root: Path
    config: dict = field(default_factory=lambda: yaml.safe_load(yaml.safe_dump(DEFAULT_CONFIG)))

    def __post_init__(self) -> None:
        (self.root / "docs").mkdir(parents=True, exist_ok=True)
        self.page("index.md", "# Home\n\nWelcome.\n")

    def page(self, path: str, text: str) -> Path:
        target = self.root / "docs" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
        return target

    def incident(self, name: str, text: str | bytes) -> Path:
        target = self.root / "docs" / "incidents" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return target

    def build(self, *, strict: bool = False) -> BuiltSite:
        (self.root / "mkdocs.yml").write_text(yaml.safe_dump(self.config, sort_keys=False))
        return build_site(self.root, strict=strict)


@pytest.fixture
def site(tmp_path: Path) -> SiteFactory:
    return SiteFactory(tmp_path / "project")


MINIMAL = """
id: {id}
title: {title}
severity: SEV3
started_at: 2024-03-14T14:02:00Z
summary: Something broke and we fixed it.
"""


def generated_incident_data(count: int, seed: int) -> list[dict]:
    """``count`` realistic incidents as data (benchmarks/generate.py), the same for a seed."""
    import random
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate_incident

    rng = random.Random(seed)
    return [generate_incident(n, rng) for n in range(count)]


def load_incident_data(loader, datas: list[dict]) -> list:
    """Load ``datas`` (incident dicts) through ``loader`` as files ``incidents/<n>.yaml``,
    as a build does; returns the incidents, newest first, and asserts no problems. A
    loader kept between calls gives the same object for unchanged bytes (as under
    ``mkdocs serve``)."""
    triples = [(yaml.safe_dump(d).encode(), f"incidents/{n}.yaml", f"{n}.yaml")
               for n, d in enumerate(datas)]
    catalog = loader.load(iter(triples), page_exists=lambda u: True, pages=lambda: [],
                          reserved=set())
    assert catalog.problems == []
    return catalog.incidents


def minimal_incident(incident_id: str = "INC-1", title: str = "A small outage") -> str:
    return MINIMAL.format(id=incident_id, title=title)


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The repository's example site, copied and built once per test session (strict)."""
    root = tmp_path_factory.mktemp("example") / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site"))
    # The example's incident files point editors at ../schemas; keep that path valid.
    shutil.copytree(REPO / "schemas", root.parent / "schemas")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
        return build_site(root, strict=True)


@pytest.fixture
def build_epoch(monkeypatch: pytest.MonkeyPatch) -> str:
    """Pin the build date (2026-11-26) so overdue checks do not drift."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    return BUILD_EPOCH


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session."""
    from browsing import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def example_url(example_site: BuiltSite):
    """The built example site, served on loopback."""
    from browsing import serve_directory

    with serve_directory(example_site.site_dir) as url:
        yield url


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Fork even where this machine would not (one usable core, a thread of the test
    runner): what is tested is what happens once the child runs. Returns the children's
    pids, as forked."""
    from mkdocs_pmtheater.load import parallel

    monkeypatch.setattr(parallel, "fork_usable", lambda: True)
    children: list[int] = []
    fork = os.fork

    def recording() -> int:
        pid = fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording)
    return children


def assert_reaped(children: list[int]) -> None:
    """Each child was waited for: no zombie left (asked by pid: the test runner may have
    children of its own)."""
    assert children
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
