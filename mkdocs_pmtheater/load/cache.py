"""The validation cache: what other files' checks need to know of each incident file.

``pmtheater validate FILE`` must answer exactly what a full check answers, and
a full check reads and checks every incident file of the site (20 s at 10,000
incidents). The given files are always read and checked in full; of every
other file, the checks across files need only a little: its id (duplicates,
and the ``id:`` line the message names), its status (a hidden draft has no
page), whether it has problems that keep it off the site, its props' pages
(checked against the files that exist today, so a deleted runbook is still
found), what links can point at (action-item ids, scene numbers and ids), and
its own problems at ``id``. That summary is kept per file in
``.pmtheater-cache/validate.json`` next to mkdocs.yml (:data:`CACHE_DIR`).

The cache can never change an answer:

* an entry is keyed by the file's path under docs_dir **and the SHA-256 of its
  bytes**, so an edited file is always checked again (no dates or sizes);
* the whole cache is keyed by :func:`environment_key`: the cache format, the
  package's version and a hash of the package's own files (code, schema,
  templates), and every plugin option, so a cache written by another version
  or for other options is ignored;
* the file is JSON, never pickle (the folder sits where a pull request can
  write), signed with a key kept outside the repository (:func:`machine_secret`),
  so a cache file that came with a pull request, or from another machine, is
  ignored; and every entry is validated field by field before use: an entry
  that does not have exactly the expected shape is ignored and the file is
  checked again; an unreadable or corrupt cache file is ignored as a whole;
* it is written atomically (a temporary file renamed over the old one), and a
  cache that cannot be written (a read-only checkout) only costs time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import MISSING, asdict, fields
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from .. import __version__
from ..model.incident import ActionItem, Incident, Prop, Scene, Setting
from ..model.options import SiteOptions
from ..model.problems import Problem
from .loader import IncidentLoader, LoadedFile
from .yamlsource import SourceMap

CACHE_DIR = ".pmtheater-cache"
"""The cache folder, next to mkdocs.yml (the project's folder). Safe to delete; keep it out
of version control (``.gitignore``)."""
CACHE_FILE = "validate.json"
FORMAT = 2
"""Bumped whenever the shape of an entry changes."""

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_FINGERPRINTED = (".py", ".json", ".html", ".css", ".js", ".j2", ".md")


def package_fingerprint() -> str:
    """SHA-256 (hex) over the package's own files: an edited checkout (``pip install -e``)
    invalidates caches like a new release does. About 70 small files: milliseconds."""
    digest = hashlib.sha256(__version__.encode())
    for folder, dirs, names in os.walk(_PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(_FINGERPRINTED):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, _PACKAGE_DIR).encode() + b"\0")
                try:
                    with open(path, "rb") as handle:
                        digest.update(hashlib.sha256(handle.read()).digest())
                except OSError:
                    digest.update(b"unreadable")
    return digest.hexdigest()


def environment_key(options: SiteOptions) -> str:
    """Everything besides a file's bytes that can change what the checks say of it."""
    settings = json.dumps({"format": FORMAT, "version": __version__,
                           "package": package_fingerprint(), "options": asdict(options)},
                          sort_keys=True, default=str)
    return hashlib.sha256(settings.encode()).hexdigest()


# -- summaries ------------------------------------------------------------------------
def summarize(loaded: LoadedFile) -> dict[str, Any]:
    """What other files' checks need of ``loaded`` (a fully checked file), as JSON data."""
    id_problems = [[p.line, p.column, p.message, p.hint, p.blocking]
                   for p in loaded.problems if p.field == "id"]
    incident = loaded.incident
    if incident is None:
        return {"ok": False, "id_problems": id_problems}
    props = []
    for index, prop in enumerate(incident.setting.props if incident.setting else ()):
        if prop.page is not None:
            props.append([index, prop.name, prop.page,
                          list(loaded.locate(("setting", "props", index, "page")))])
    return {
        "ok": True,
        "id": incident.id,
        "id_at": list(loaded.locate(("id",))),
        "status": incident.status,
        "started_at": incident.started_at.isoformat(),
        "props": props,
        "items": [item.id for item in incident.action_items],
        "scenes": [getattr(scene, "id", None) for scene in incident.timeline],
        "id_problems": id_problems,
    }


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_position(value: Any) -> bool:
    return type(value) is list and len(value) == 2 and type(value[0]) is int \
        and type(value[1]) is int


_OK_KEYS = frozenset({"ok", "id", "id_at", "status", "started_at", "props", "items",
                      "scenes", "id_problems"})
_BROKEN_KEYS = frozenset({"ok", "id_problems"})


def _valid(entry: Any) -> bool:
    """Whether ``entry`` has exactly the shape :func:`summarize` writes (anything else in
    the cache file, written by hand or by an attacker, is ignored). Plain loops and exact
    type checks: this runs for every file of the site on every commit."""
    if type(entry) is not dict:
        return False
    ok = entry.get("ok")
    if type(ok) is not bool or entry.keys() != (_OK_KEYS if ok else _BROKEN_KEYS):
        return False
    problems = entry["id_problems"]
    if type(problems) is not list:
        return False
    for problem in problems:
        if not (type(problem) is list and len(problem) == 5 and type(problem[0]) is int
                and type(problem[1]) is int and type(problem[2]) is str
                and type(problem[3]) is str and type(problem[4]) is bool):
            return False
    if not ok:
        return True
    if not (type(entry["id"]) is str and type(entry["status"]) is str
            and type(entry["started_at"]) is str and _is_position(entry["id_at"])):
        return False
    scenes, props, items = entry["scenes"], entry["props"], entry["items"]
    # The schema allows at most 1,000 scenes: a longer list is not ours.
    if type(scenes) is not list or len(scenes) > MAX_SCENES or type(props) is not list \
            or type(items) is not list:
        return False
    for scene_id in scenes:
        if scene_id is not None and type(scene_id) is not str:
            return False
    last = -1
    for prop in props:
        if not (type(prop) is list and len(prop) == 4 and type(prop[0]) is int
                and last < prop[0] <= MAX_PROPS and type(prop[1]) is str
                and type(prop[2]) is str and _is_position(prop[3])):
            return False
        last = prop[0]
    for item in items:
        if type(item) is not str:
            return False
    try:
        started = datetime.fromisoformat(entry["started_at"])
    except ValueError:
        return False
    return started.tzinfo is not None


MAX_SCENES = 1000
MAX_PROPS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Summarised(Incident):
    """An incident of another file, as its summary restores it for the checks across files:
    id, status, start, props' pages; its action items (ids only) and scenes (numbers and
    ids only) are made when a link asks for them. Title, summary and severity are empty."""

    @property  # type: ignore[override]
    def action_items(self) -> list[ActionItem]:
        items = self.__dict__.get("_items")
        if items is None:
            items = self.__dict__["_items"] = [
                ActionItem(item_id, "", "", incident_id=self.id)
                for item_id in self.__dict__["_item_ids"]]
        return items

    @action_items.setter
    def action_items(self, value: list[ActionItem]) -> None:
        self.__dict__["_items"] = value

    @property  # type: ignore[override]
    def timeline(self) -> list[Scene]:
        scenes = self.__dict__.get("_scenes")
        if scenes is None:
            scenes = self.__dict__["_scenes"] = [
                _scene(number, scene_id)
                for number, scene_id in enumerate(self.__dict__["_scene_ids"], 1)]
        return scenes

    @timeline.setter
    def timeline(self, value: list[Scene]) -> None:
        self.__dict__["_scenes"] = value


def _scene(number: int, scene_id: str | None) -> Scene:
    """A stand-in scene: its number and id (what links to it need), the rest empty."""
    made = object.__new__(Scene)
    attributes: dict[str, Any] = {}
    for f in fields(Scene):
        if f.default_factory is not MISSING:  # type: ignore[misc]
            attributes[f.name] = f.default_factory()  # type: ignore[misc]
        elif f.default is not MISSING:
            attributes[f.name] = f.default
        else:  # required: at, at_text, the character(s), action
            attributes[f.name] = _EPOCH if f.name == "at" else (
                [] if "list" in str(f.type) else "")
    attributes["number"] = number
    if "id" in attributes:
        attributes["id"] = scene_id
    made.__dict__ = attributes
    return made


def _defaults() -> dict[str, Any]:
    made = {}
    for f in fields(Incident):
        if f.default_factory is not MISSING:  # type: ignore[misc]
            made[f.name] = f.default_factory()  # type: ignore[misc]
        elif f.default is not MISSING:
            made[f.name] = f.default
    made.pop("action_items")
    made.pop("timeline")
    return made


_DEFAULTS = _defaults()
_LISTS = tuple(name for name, value in _DEFAULTS.items() if isinstance(value, list))


def restore(entry: dict[str, Any], src: str, display: str) -> LoadedFile:
    """A :class:`LoadedFile` for the checks across files, from a validated summary: the
    incident (:class:`Summarised`) holds only what those checks read, and the source map
    the places their messages name."""
    problems = [Problem(display, line, column, "id", message, hint, blocking)
                for line, column, message, hint, blocking in entry["id_problems"]]
    source = SourceMap()
    if not entry["ok"]:
        return LoadedFile(src, display, None, problems, source, summary_only=True)
    source.values[("id",)] = (entry["id_at"][0], entry["id_at"][1])
    props: list[Prop] = []
    for index, name, page, (line, column) in entry["props"]:
        while len(props) < index:
            props.append(Prop(name=""))
        props.append(Prop(name=name, page=page))
        source.values[("setting", "props", index, "page")] = (line, column)
    # Without Incident.__init__ (10,000 of these per commit); every field is set.
    incident = object.__new__(Summarised)
    incident.__dict__ = attributes = dict(_DEFAULTS)
    for name in _LISTS:
        attributes[name] = []
    attributes.update(
        id=entry["id"], title="", severity="", summary="", source=src,
        started_at=datetime.fromisoformat(entry["started_at"]), status=entry["status"],
        setting=Setting(props=props) if props else None,
        _item_ids=entry["items"], _scene_ids=entry["scenes"])
    return LoadedFile(src, display, incident, problems, source, summary_only=True)


# -- the cache file -----------------------------------------------------------------
def _secret_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pmtheater" / "cache-secret"


def machine_secret() -> bytes:
    """This user's key that signs the caches (32 random bytes in ``~/.cache/pmtheater/
    cache-secret``, made on first use, readable only by the user).

    The cache folder lies in the repository, where a pull request can add a cache file
    that claims anything of any file; a signature with a key kept outside every
    repository makes such a file foreign, so it is ignored. When the key cannot be kept,
    a new one per run: nothing is trusted, everything is checked.
    """
    path = _secret_file()
    try:
        secret = path.read_bytes()
        if len(secret) == 32:
            return secret
    except OSError:
        pass
    secret = os.urandom(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        with os.fdopen(handle, "wb") as out:  # mkstemp: mode 0600
            out.write(secret)
        os.replace(temporary, path)
    except OSError:
        pass
    return secret


def _signature(secret: bytes, key: str, body: bytes) -> str:
    return hmac.new(secret, key.encode() + b"\n" + body, hashlib.sha256).hexdigest()


class SummaryCache:
    """The summaries of one site's incident files, read from and written to ``folder``."""

    def __init__(self, folder: Path, key: str, secret: bytes | None = None) -> None:
        self.path = folder / CACHE_DIR / CACHE_FILE
        self.key = key
        self.secret = machine_secret() if secret is None else secret
        self.entries: dict[str, dict[str, Any]] = {}
        """Validated entries by :func:`entry_key`."""
        self.used: dict[str, dict[str, Any]] = {}
        """The entries of this run (what :meth:`save` writes: files that are gone drop out)."""
        self.changed = False
        self._read()

    def _read(self) -> None:
        # Line 1: {"format", "key", "signature"}; the rest: the entries, as JSON.
        try:
            with open(self.path, "rb") as handle:
                header, _, body = handle.read().partition(b"\n")
            head = json.loads(header)
            if (type(head) is not dict or head.get("format") != FORMAT
                    or head.get("key") != self.key or type(head.get("signature")) is not str
                    or not hmac.compare_digest(head["signature"],
                                               _signature(self.secret, self.key, body))):
                return  # another version, other options, or not written here
            files = json.loads(body)
        except (OSError, ValueError, RecursionError):
            return  # no cache yet, or an unreadable one: checked again, then rewritten
        if type(files) is dict:
            self.entries = files

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.entries.get(key)
        if entry is None or not _valid(entry):
            return None
        self.used[key] = entry
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.used[key] = entry
        if self.entries.get(key) != entry:
            self.changed = True

    def save(self) -> None:
        """Write the entries used in this run, atomically; failures are ignored (a cache
        only saves time)."""
        if not self.changed and len(self.used) == len(self.entries):
            return
        body = json.dumps(self.used, separators=(",", ":"), ensure_ascii=True)
        header = json.dumps({"format": FORMAT, "key": self.key, "signature": _signature(
            self.secret, self.key, body.encode("ascii"))})
        data = f"{header}\n{body}"
        try:
            self.path.parent.mkdir(exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# pmtheater's validation cache: safe to delete\n*\n")
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".validate-",
                                                 suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="ascii") as out:
                    out.write(data)
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass


def entry_key(src: str, raw: bytes) -> str:
    """The cache key of a file: its path under docs_dir and the SHA-256 of its bytes."""
    return f"{hashlib.sha256(raw).hexdigest()} {src}"


class CachedLoader(IncidentLoader):
    """An :class:`IncidentLoader` that checks in full only the files named in ``full``
    (their display paths; None: all) and files it has no valid summary of; every other file comes
    from its summary (:func:`restore`). The checks across files run unchanged."""

    def __init__(self, severities: Sequence[str], zone: tzinfo, cache: SummaryCache,
                 full: Iterable[str] | None) -> None:
        super().__init__(severities, zone)
        self.summaries = cache
        self.full = None if full is None else set(full)
        """Display paths of the files to check in full; None: every file (the summaries
        are only written)."""
        self.from_cache = 0
        """How many files came from their summary (for tests and the benchmark)."""

    def _known(self, raw: bytes, src: str, display: str) -> LoadedFile | None:
        if self.full is not None and display not in self.full:
            # entry_key(), with the digest the loader keeps
            entry = self.summaries.get(f"{self.digest(raw)} {src}")
            if entry is not None:
                self.from_cache += 1
                return restore(entry, src, display)
        return super()._known(raw, src, display)

    def _keep(self, raw: bytes, src: str, display: str, loaded: LoadedFile) -> None:
        super()._keep(raw, src, display, loaded)
        self.summaries.put(f"{self.digest(raw)} {src}", summarize(loaded))


def cached_loader(root: Path, options: SiteOptions, zone: tzinfo,
                  full: Iterable[str] | None) -> CachedLoader:
    """A :class:`CachedLoader` for the project in ``root`` (the folder of mkdocs.yml)."""
    cache = SummaryCache(root, environment_key(options))
    return CachedLoader(options.severities, zone, cache, full)

