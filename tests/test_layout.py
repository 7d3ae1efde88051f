"""The shape of the package: a core that knows nothing of MkDocs, and thin adapters.

The core (loading, the model, rendering, the catalogue, the published data
files, link resolution) must work where MkDocs is not installed or not the
site generator (``pmtheater render`` for Zensical). The test imports every
core module in a fresh interpreter in which ``import mkdocs`` (and its fork
``properdocs``) fails, so a stray import anywhere in the core is caught.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CORE_PACKAGES = ["load", "model", "render", "catalogue", "publish", "links", "imports"]
ADAPTERS = ["plugin", "cli", "zensical"]

_PROBE = textwrap.dedent("""
    import importlib, importlib.abc, pkgutil, sys

    class NoMkDocs(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("mkdocs", "properdocs"):
                raise ImportError(f"the core imported {name}")
            return None

    sys.meta_path.insert(0, NoMkDocs())
    import mkdocs_pmtheater
    imported = []
    for package in sys.argv[1:]:
        try:
            module = importlib.import_module(f"mkdocs_pmtheater.{package}")
        except ModuleNotFoundError as exc:
            if exc.name == f"mkdocs_pmtheater.{package}":
                continue  # a stage this version does not have
            raise
        imported.append(module.__name__)
        for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
    print("\\n".join(imported))
""")


def test_core_imports_nothing_from_mkdocs() -> None:
    result = subprocess.run([sys.executable, "-c", _PROBE, *CORE_PACKAGES],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    imported = set(result.stdout.split())
    for stage in ("load", "model", "render", "catalogue", "publish", "links"):
        assert f"mkdocs_pmtheater.{stage}" in imported
    assert "mkdocs_pmtheater.render.playbill" in imported
    assert "mkdocs_pmtheater.catalogue.pages" in imported


def test_adapters_are_where_mkdocs_lives() -> None:
    # The probe really blocks MkDocs: the MkDocs adapter cannot be imported under it.
    result = subprocess.run([sys.executable, "-c", _PROBE, "plugin"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "the core imported mkdocs" in result.stderr
