"""A docs project as the ``pmtheater`` command sees it: mkdocs.yml, the plugin options, the files.

The CLI runs where MkDocs' theme and other plugins may not be installed (a
pre-commit hook's own environment, a CI step), so it does not load mkdocs.yml
the way MkDocs does: it reads the file with a forgiving YAML loader (``!ENV``
is honoured, ``INHERIT`` is followed, Python tags and other custom tags are
ignored), takes the few site settings it needs and validates only this
plugin's options, with the plugin's own config class. The files are listed
with MkDocs' own ``get_files``, so prop pages are checked against the same
list the build uses.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import FileSystemLoader
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError
from mkdocs.structure.files import File, Files, get_files
from mkdocs.utils.yaml import yaml_load
from yaml_env_tag import construct_env_tag

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from ..load.loader import IncidentLoader
from ..model.options import SiteOptions
from ..model.timestamps import site_zone
from ..plugin.config import PmTheaterConfig
from ..publish.production import TEMPLATES_DIR, Production, Site

CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml", "zensical.toml")
"""A site's configuration files, in the order the commands look for them (``pmtheater
render`` looks for ``zensical.toml`` first, as Zensical does)."""
PLUGIN_NAME = "pmtheater"


class ProjectError(Exception):
    """mkdocs.yml or the plugin options cannot be used; the message says why."""


class _ForgivingLoader(yaml.SafeLoader):
    """Safe YAML plus ``!ENV``; any other tag (``!!python/name:...``, ``!relative``) is None."""


_ForgivingLoader.add_constructor("!ENV", construct_env_tag)
_ForgivingLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
_ForgivingLoader.add_multi_constructor("!", lambda *_: None)


def find_config(start: Path) -> Path | None:
    """The nearest configuration (:data:`CONFIG_NAMES`) in ``start`` or a folder above it."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            path = candidate / name
            if path.is_file():
                return path
    return None


def _plugin_options(raw: dict[str, Any]) -> dict[str, Any]:
    plugins = raw.get("plugins") or []
    entries = plugins.items() if isinstance(plugins, dict) else (
        next(iter(p.items())) if isinstance(p, dict) and p else (p, None) for p in plugins
    )
    for name, options in entries:
        if name == PLUGIN_NAME:
            return dict(options or {})
    return {}


@dataclass
class Project:
    """One docs site (or, without mkdocs.yml, a folder with the defaults)."""

    root: Path
    """The folder of mkdocs.yml (or the current folder)."""
    config_file: Path | None
    config: MkDocsConfig
    """A minimal MkDocs config: docs_dir, site_dir, use_directory_urls, site_url, site_name."""
    options: PmTheaterConfig
    raw: dict[str, Any] = field(default_factory=dict)
    """The site's settings as written (MkDocs' names): what ``pmtheater render`` needs
    beyond the minimal config (Markdown extensions, theme, repository)."""

    @property
    def docs_dir(self) -> Path:
        return Path(self.config["docs_dir"])

    @property
    def incidents_dir(self) -> Path:
        return self.docs_dir / self.options.incidents_dir.strip("/")

    def site_options(self) -> SiteOptions:
        return SiteOptions.from_config(self.options)

    def production(self) -> Production:
        """A production with the site's options, for the checks and the data of a build
        (it renders with the package's own templates: the CLI does not load the theme)."""
        zone = site_zone(self.options.timezone)
        loader = IncidentLoader(tuple(self.options.severities), zone)
        config = self.config
        theme = self.raw.get("theme") if isinstance(self.raw.get("theme"), dict) else {}
        assert isinstance(theme, dict)
        site = Site(name=config["site_name"] or "", url=config["site_url"],
                    author=config["site_author"],
                    directory_urls=bool(config["use_directory_urls"]),
                    language=str(theme.get("language") or theme.get("locale") or "en"))
        return Production(self.site_options(), loader, site=site,
                          templates=FileSystemLoader(str(TEMPLATES_DIR)), zone=zone)

    def files(self) -> Files:
        """The files of docs_dir, as MkDocs lists them."""
        if not self.docs_dir.is_dir():
            return Files([])
        return get_files(self.config)

    def external_file(self, path: Path, number: int) -> File:
        """An incident file outside the incidents folder, checked as if it were inside."""
        src_uri = f"{self.options.incidents_dir.strip('/')}/.pmtheater-cli/{number}/{path.name}"
        return self.file(src_uri, abs_src_path=os.path.abspath(path))

    def file(self, src_uri: str, *, abs_src_path: str | None = None) -> File:
        """A file of the site at ``src_uri`` (read from ``abs_src_path`` when given).

        Like ``File.generated``, which needs the plugins of a fully loaded config.
        """
        file = File(src_uri, src_dir=None, dest_dir=self.config["site_dir"],
                    use_directory_urls=self.config["use_directory_urls"])
        file.abs_src_path = abs_src_path
        if abs_src_path is None:
            file.content_bytes = b""
        return file


def read_zensical_toml(path: Path) -> dict[str, Any]:
    """The site settings of ``zensical.toml``: its ``[project]`` table, as Zensical reads it
    (MkDocs' setting names; our options in ``[project.plugins.pmtheater]``).

    Raises :class:`ProjectError` when the file cannot be read or is not TOML.
    """
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ProjectError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{path}: not valid TOML: {exc}") from None
    settings = document.get("project", document)
    if not isinstance(settings, dict):
        raise ProjectError(f"{path}: [project] must be a table of settings")
    return settings


def load_project(config_file: Path | None, cwd: Path) -> Project:
    """The project of ``config_file`` (mkdocs.yml or zensical.toml); without one, ``cwd``
    with MkDocs' and our defaults. Raises :class:`ProjectError`."""
    raw: dict[str, Any] = {}
    root = cwd
    if config_file is not None and config_file.suffix.lower() == ".toml":
        settings = read_zensical_toml(config_file)
        return project_from_settings(settings, config_file.resolve().parent, config_file)
    if config_file is not None:
        root = config_file.resolve().parent
        try:
            with open(config_file, "rb") as handle:
                raw = yaml_load(handle, loader=_ForgivingLoader) or {}
        except OSError as exc:
            raise ProjectError(f"cannot read {config_file}: {exc.strerror}") from None
        except ConfigurationError as exc:
            raise ProjectError(f"{config_file}: {exc}") from None
        if not isinstance(raw, dict):
            raise ProjectError(f"{config_file}: not a mapping of settings")
    return project_from_settings(raw, root, config_file)


def project_from_settings(raw: dict[str, Any], root: Path, config_file: Path | None) -> Project:
    """The project of already-read site settings (mkdocs.yml, or zensical.toml's ``[project]``).

    ``raw`` uses MkDocs' setting names; the plugin options are its
    ``plugins`` entry ``pmtheater`` (a list item or a mapping key). Raises
    :class:`ProjectError` for bad plugin options.
    """
    where = str(config_file) if config_file else "the defaults"

    options = PmTheaterConfig(config_file_path=str(config_file) if config_file else None)
    options.load_dict(_plugin_options(raw))
    failed, _warnings = options.validate()
    if failed:
        key, error = failed[0]
        raise ProjectError(f"{where}: plugins.{PLUGIN_NAME}.{key}: {error}")
    try:
        site_zone(options.timezone)
    except ValueError as exc:
        raise ProjectError(f"{where}: plugins.{PLUGIN_NAME}.timezone: {exc}") from None
    if not options.severities:
        raise ProjectError(f"{where}: plugins.{PLUGIN_NAME}.severities: list at least one level")

    def setting(key: str, default: Any, kind: type | tuple[type, ...]) -> Any:
        value = raw.get(key, default)
        return value if isinstance(value, kind) else default

    docs_dir = root / os.path.expanduser(setting("docs_dir", "docs", str))
    site_dir = root / os.path.expanduser(setting("site_dir", "site", str))
    config = MkDocsConfig(config_file_path=str(config_file.resolve()) if config_file else None)
    config.load_dict({
        "site_name": setting("site_name", root.name, str),
        "site_url": setting("site_url", None, str),
        "site_author": setting("site_author", None, str),
        "docs_dir": str(docs_dir),
        "site_dir": str(site_dir),
        "use_directory_urls": setting("use_directory_urls", True, bool),
        # For "edit this page" on playbills rendered outside MkDocs (pmtheater render).
        "repo_url": setting("repo_url", None, str),
        "edit_uri": setting("edit_uri", None, str),
    })
    return Project(root, config_file, config, options, raw)
