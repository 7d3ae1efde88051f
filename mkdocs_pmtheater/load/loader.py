"""Find, read and check every incident file of a site, and the checks across files.

One bad file never stops the others: each file yields either an incident or
the problems that keep it off the site. Per-file work is cached by content, so
``mkdocs serve`` re-reads only the files that changed. Everything here is
O(number of incidents).
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timezone, tzinfo
from pathlib import Path

from ..model.incident import Incident
from ..model.problems import FieldPath, Problem, did_you_mean, quoted
from .assemble import assemble
from .parallel import map_in_two
from .schema import schema_errors
from .yamlsource import ParsedFile, SourceMap, _decode, read_incident_yaml

INCIDENT_SUFFIXES = (".yaml", ".yml")


class LoadedFile:
    """One incident file after reading and the checks that need only the file.

    The reader's source map (the line and column of every value, about 50 KB per
    incident: more than the incident itself) is not kept: once the file is read and
    checked, only the places that other files' checks name on every build are (the id,
    props' ``page``). A problem found later (a broken link while a playbill renders) is
    rare, so :attr:`source` reads this file's bytes again and rebuilds the same map:
    the same bytes give the same map, so the answer is the one the first reading gave.
    """

    __slots__ = ("_packed", "_raw", "_source", "display", "incident", "kept", "problems",
                 "src", "summary_only")

    def __init__(self, src: str, display: str, incident: Incident | None,
                 problems: list[Problem], source: SourceMap, raw: bytes = b"", *,
                 summary_only: bool = False, keep_source: bool = True) -> None:
        self.src = src
        """Path relative to docs_dir, with forward slashes."""
        self.display = display
        """Path used in messages: relative to the project (the folder of mkdocs.yml)."""
        self.incident = incident
        self.problems = problems
        # The bytes are read again only for a late problem: held compressed (about 7 KB
        # of YAML become 2 KB, in about 0.1 ms) unless the map is kept anyway.
        self._packed = not keep_source and bool(raw)
        self._raw = _pack(raw) if self._packed else raw
        self.summary_only = summary_only
        """Restored from ``pmtheater validate``'s cache (``load/cache.py``): the incident
        holds only what other files' checks need, not its Markdown, so its own links are
        not checked (its problems are not asked for)."""
        self.kept = _kept_places(source, incident)
        """The places named on every build, from the full map (see :meth:`locate`)."""
        self._source: SourceMap | None = source if keep_source or not raw else None

    @property
    def raw(self) -> bytes:
        """The file's bytes, to place problems found later (links in its Markdown)."""
        return zlib.decompressobj(_WBITS).decompress(self._raw) if self._packed else self._raw

    @property
    def text(self) -> str:
        """The file's text, to find links in it: decoded as the reader decodes it (UTF-8
        without its byte-order mark, or UTF-16 with one), so that offsets in it are the
        reader's columns; undecodable bytes (a file the reader refused) are replaced."""
        raw = self.raw
        text, _problem = _decode(raw, self.display)
        return text if text is not None else raw.decode("utf-8", "replace")

    @property
    def source(self) -> SourceMap:
        """Where each value of the file was written (rebuilt from :attr:`raw` and kept
        from then on when it was not kept: only files with a late problem pay)."""
        if self._source is None:
            self._source = read_incident_yaml(self.raw, self.display).source
        return self._source

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """1-based (line, column) of ``path`` (see :meth:`SourceMap.locate`)."""
        found = self.kept.get(tuple(path))
        return found if found is not None else self.source.locate(path)


_WBITS = -12
"""Raw deflate with a 4 KB window: as small as the default for an incident file, and its
set-up costs a quarter of the time (per file, that is most of the time)."""


def _pack(raw: bytes) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, _WBITS, 6)
    return packer.compress(raw) + packer.flush()


def _kept_places(source: SourceMap, incident: Incident | None) -> dict[FieldPath, tuple[int, int]]:
    """The places of the values every build names (duplicate ids, the validate cache's
    summaries): the id and props' pages, when written (else :meth:`LoadedFile.locate`
    asks the full map, which also answers for a missing value's parent)."""
    paths: list[FieldPath] = [("id",)]
    if incident is not None and incident.setting is not None:
        paths += [("setting", "props", index, "page")
                  for index, prop in enumerate(incident.setting.props) if prop.page is not None]
    return {path: source.values[path] for path in paths if path in source.values}


@dataclass
class Catalog:
    """The incidents of one build and every problem found on the way."""

    incidents: list[Incident] = field(default_factory=list)
    """Valid incidents, newest first."""
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, LoadedFile] = field(default_factory=dict)
    """Every incident file by its path relative to docs_dir."""
    by_slug: dict[str, Incident] = field(default_factory=dict)

    def get(self, incident_id: str) -> Incident | None:
        return self.by_slug.get(incident_id.lower())

    def by_source(self, src: str) -> Incident | None:
        loaded = self.files.get(src)
        return loaded.incident if loaded else None


def _assemble_best_effort(
    parsed: ParsedFile, display: str, zone: tzinfo, schema_failed: bool
) -> tuple[Incident | None, list[Problem]]:
    """Build the incident; after schema errors, still try, to report every problem at once."""
    if not schema_failed:
        return assemble(parsed.data, parsed.source, display, zone)
    try:
        return assemble(parsed.data, parsed.source, display, zone)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError):
        return None, []  # the shape is too broken to say more than the schema did


def find_incident_files(root: Path) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` below ``root``, hidden folders skipped, in a stable order."""
    found: list[Path] = []
    if not root.is_dir():
        return found
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(folder, name)
            for name in sorted(names)
            if name.endswith(INCIDENT_SUFFIXES) and not name.startswith(".")
        )
    return found


class IncidentLoader:
    """Reads incident files with a content cache that lives as long as the loader."""

    def __init__(self, severities: Sequence[str], zone: tzinfo) -> None:
        self.severities = tuple(severities)
        self.zone = zone
        self._cache: dict[tuple[str, str], LoadedFile] = {}
        self._last_digest: tuple[bytes, str] = (b"", hashlib.sha256(b"").hexdigest())
        self._digests: dict[int, tuple[bytes, str]] | None = None
        """During :meth:`load`: each file's digest by the identity of its bytes (held
        here too, so that an identity is not reused while the entry lives)."""
        self.parallel = True
        """Whether :meth:`read_files` may read on two cores (see ``load/parallel.py``)."""

    def digest(self, raw: bytes) -> str:
        """SHA-256 (hex) of a file's bytes, computed once for the file being read (and,
        during :meth:`load`, once for each file: it asks several times per file)."""
        if self._last_digest[0] is not raw:
            known = self._digests.get(id(raw)) if self._digests is not None else None
            if known is not None and known[0] is raw:
                return known[1]
            self._last_digest = (raw, hashlib.sha256(raw).hexdigest())
            if self._digests is not None:
                self._digests[id(raw)] = self._last_digest
        return self._last_digest[1]

    def read_file(self, raw: bytes, src: str, display: str) -> LoadedFile:
        """Everything that depends on this file alone (cached by content)."""
        known = self._known(raw, src, display)
        if known is not None:
            return known
        loaded = self._read(raw, src, display)
        self._keep(raw, src, display, loaded)
        return loaded

    def _known(self, raw: bytes, src: str, display: str) -> LoadedFile | None:
        """The answer for this file without reading it (the cache), or None."""
        return self._cache.get((display, self.digest(raw)))

    def _keep(self, raw: bytes, src: str, display: str, loaded: LoadedFile) -> None:
        """Remember ``loaded``, the file just read, for :meth:`_known`."""
        self._cache[(display, self.digest(raw))] = loaded

    def _read(self, raw: bytes, src: str, display: str) -> LoadedFile:
        """What :meth:`read_file` caches: the file read and checked."""
        parsed = read_incident_yaml(raw, display)
        incident: Incident | None = None
        problems = [p for p in parsed.problems if p.blocking]
        warnings = [p for p in parsed.problems if not p.blocking]  # text lost to a comment
        if not problems:
            problems = [*parsed.text_problems,
                        *schema_errors(parsed.data, parsed.source, display, self.severities)]
            incident, more = _assemble_best_effort(parsed, display, self.zone,
                                                   len(problems) > len(parsed.text_problems))
            taken = {(p.line, p.column) for p in problems}
            problems += [p for p in more if (p.line, p.column) not in taken]
            # Warnings (an ambiguous local time resolved by the rule) do not block.
            if incident is not None and not any(p.blocking for p in problems):
                incident.source = src
            else:
                incident = None
        problems += warnings
        return LoadedFile(src, display, incident, sorted(problems, key=Problem.sort_key),
                          parsed.source, raw, keep_source=False)

    def _read_triple(self, file: tuple[bytes, str, str]) -> LoadedFile:
        return self._read(*file)

    def read_files(self, files: Sequence[tuple[bytes, str, str]]) -> list[LoadedFile]:
        """:meth:`read_file` for each ``(raw, src, display)``, in order. The files that
        must be read are read on two cores where that is possible and worth it
        (:func:`.parallel.map_in_two`: a forked child reads about half of them; the first
        build of 2,000 incidents reads them in 1.9 s instead of 3.1 s); the results are
        the same either way."""
        found = [self._known(*file) for file in files]
        pending = [index for index, known in enumerate(found) if known is None]
        work = [files[index] for index in pending]
        read = (map_in_two(self._read_triple, work) if self.parallel
                else [self._read_triple(file) for file in work])
        for index, loaded in zip(pending, read, strict=True):
            self._keep(*files[index], loaded)
            found[index] = loaded
        return found  # type: ignore[return-value]  # every None was filled

    def load(
        self,
        files: Iterable[tuple[bytes, str, str]],
        *,
        page_exists: Callable[[str], bool],
        pages: Callable[[], Iterable[str]] = tuple,
        reserved: Iterable[str] = (),
    ) -> Catalog:
        """Read ``(raw, src, display)`` triples and run the checks across files.

        ``page_exists`` answers whether a docs page (path relative to docs_dir)
        exists, for props' ``page``; ``pages`` lists them for "did you mean".
        ``reserved`` names slugs that other generated pages already use.
        """
        catalog = Catalog()
        live_keys: set[tuple[str, str]] = set()
        files = list(files)
        self._digests = {}
        try:
            loaded_files = self.read_files(files)
            for raw, _src, display in files:
                live_keys.add((display, self.digest(raw)))
        finally:
            self._digests = None
        # Forget files that were removed or changed since the last build.
        self._cache = {k: v for k, v in self._cache.items() if k in live_keys}

        reserved_slugs = {r.lower() for r in reserved}
        first_of: dict[str, LoadedFile] = {}
        for loaded in loaded_files:
            catalog.files[loaded.src] = loaded
            catalog.problems.extend(loaded.problems)
            incident = loaded.incident
            if incident is None:
                continue
            late = _site_checks(loaded, incident, first_of, reserved_slugs, page_exists, pages)
            if late:
                catalog.problems.extend(late)
                continue
            first_of[incident.slug] = loaded
            catalog.by_slug[incident.slug] = incident
            catalog.incidents.append(incident)
        catalog.incidents.sort(key=lambda i: (i.started_at.astimezone(timezone.utc), i.id),
                               reverse=True)
        catalog.problems.sort(key=Problem.sort_key)
        return catalog


def _site_checks(
    loaded: LoadedFile,
    incident: Incident,
    first_of: dict[str, LoadedFile],
    reserved: set[str],
    page_exists: Callable[[str], bool],
    pages: Callable[[], Iterable[str]],
) -> list[Problem]:
    """Checks that need the rest of the site: unique ids, free paths, existing pages."""
    problems: list[Problem] = []
    line, column = loaded.locate(("id",))
    if incident.slug in first_of:
        other = first_of[incident.slug]
        other_line = other.locate(("id",))[0]
        problems.append(
            Problem(
                loaded.display, line, column, "id",
                f"the id '{incident.id}' is already used by {other.display}:{other_line}"
                + (" (ids are compared without case)" if other.incident
                   and other.incident.id != incident.id else ""),
                "give this incident its own id; only the first file is published",
            )
        )
    elif incident.slug in reserved:
        problems.append(
            Problem(
                loaded.display, line, column, "id",
                f"the id '{incident.id}' would take the address of a page the plugin "
                "generates",
                "choose another id, e.g. with a prefix such as INC-",
            )
        )
    if incident.setting:
        candidates: list[str] | None = None
        for index, prop in enumerate(incident.setting.props):
            if prop.page is None:
                continue
            target = normalize_page(prop.page)
            if target is not None and page_exists(target):
                prop.page = target
                continue
            if candidates is None:
                candidates = list(pages())
            path = ("setting", "props", index, "page")
            line, column = loaded.locate(path)
            hint = did_you_mean(prop.page, candidates) or (
                "give the path of a page relative to docs_dir, e.g. runbooks/api-latency.md"
            )
            problems.append(
                Problem(loaded.display, line, column, f"setting.props[{index}].page",
                        f"the page {quoted(prop.page)} does not exist in this site", hint)
            )
    return problems


def _within(path: str, folder: str) -> bool:
    # Both absolute and normalised (abspath, realpath): a prefix test says what
    # commonpath would, at a tenth of its cost (it runs twice per incident file).
    path, folder = os.path.normcase(path), os.path.normcase(folder)
    return path == folder or path.startswith(folder if folder.endswith(os.sep)
                                             else folder + os.sep)


def links_outside(path: str, folders: Sequence[str],
                  memo: dict[str, str] | None = None) -> bool:
    """Whether ``path`` is, or lies in, a symbolic link that leads out of the first of
    ``folders`` that holds it as written (docs_dir; then, for a file given to ``pmtheater
    validate``, the folder it was given from). Such a file must not be read: a pull
    request can add a link to any file on the build machine, and messages quote files.

    ``memo`` (one dict per listing of the files) keeps each folder's real path, so that
    10,000 files in a few folders cost one ``lstat`` each rather than one per part of
    their path."""
    written = os.path.abspath(path)
    for folder in folders:
        folder = os.path.abspath(folder)
        if _within(written, folder):
            return not _within(_realpath(written, memo), _realpath(folder, memo))
    return False


def _realpath(path: str, memo: dict[str, str] | None) -> str:
    if memo is None:
        return os.path.realpath(path)
    known = memo.get(path)
    if known is None:
        parent, name = os.path.split(path)
        if name and parent != path and not os.path.islink(path):
            known = os.path.join(_realpath(parent, memo), name)
        else:
            known = os.path.realpath(path)
        memo[path] = known
    return known


def outside_problem(display: str) -> Problem:
    """The problem for an incident file that :func:`links_outside` refuses."""
    return Problem(
        display, 0, 0, "",
        "the file is, or is inside a folder that is, a symbolic link that leads outside "
        "docs_dir; it was not read",
        "put the incident file itself in the incidents folder instead of a link, or link "
        "only to files inside docs_dir",
    )


def normalize_page(page: str) -> str | None:
    """``./runbooks/x.md`` -> ``runbooks/x.md``; None for paths that leave docs_dir."""
    parts: list[str] = []
    for part in page.strip().replace("\\", "/").split("/"):
        if not part:  # a leading, doubled or trailing slash, read as one
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or None
