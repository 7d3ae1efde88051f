"""Playbill (and catalogue) bodies kept compressed while MkDocs does not use them.

MkDocs converts every page before it writes any (``_populate_page`` for all pages,
then ``_build_page`` for each), so every page's HTML is alive at once. A playbill's
body is about 33,000 characters, and one typographic character (an ellipsis, a dash)
makes Python store all of them in two bytes each: about 65 KB per playbill, 130 MB at
2,000 incidents, which made the plugin's peak memory several times that of the same
content written as Markdown pages. zlib (level 1) shrinks such a body to about 7 KB in
about 0.35 ms, and gives it back in about 0.1 ms.

:class:`PackedPage` is MkDocs' :class:`~mkdocs.structure.pages.Page` whose ``content``
is held compressed between uses. Reading ``page.content`` always gives the exact text
last assigned (every plugin and template sees what it would see without packing); only
where the text lives changes. The plugin packs a playbill once the next page starts
converting, unpacks it for the page's own ``on_page_context`` (our backlinks, then the
search plugins and the template read it) and packs it again once it is written.

Also here, for the same peak: :class:`PackedFile` (the data files, compressed until
MkDocs copies them), :class:`AnchorIds` (a page's anchor ids as one string) and
:func:`return_free_memory` (glibc's ``malloc_trim``). None of them changes what is
written; ``tests/test_memory.py`` checks what they keep and that readers see the same.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, MutableSet

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page

_LEVEL = 1
"""zlib's fastest level: 7 KB instead of 6 KB for a playbill, at less than half the time."""


class PackedPage(Page):
    """A page whose ``content`` can be held zlib-compressed (see the module's docstring).

    States: *plain* (the text is a ``str``, as for any page) and *packed* (UTF-8 bytes,
    compressed; ``surrogatepass`` so that any ``str``, even one with a lone surrogate
    from a YAML escape, comes back identical; whole, or in two parts around a marker
    that is replaced later, see :meth:`pack`). Reading a packed page's ``content``
    decompresses a copy each time and keeps the page packed.
    """

    # Instance state lives in __dict__ (Page has no __slots__): _plain, _packed, _changed
    # (whether _plain may differ from _packed) and _unpacked (the str that unpack() made
    # from _packed, so equal to it, until the next pack()).

    @property  # type: ignore[override]
    def content(self) -> str | None:
        state = self.__dict__
        plain = state.get("_plain")
        packed = state.get("_packed")
        if plain is not None or packed is None:
            return plain
        return _inflate(packed)

    @content.setter
    def content(self, value: str | None) -> None:
        state = self.__dict__
        state["_plain"] = value
        if value is None:
            state["_packed"] = state["_unpacked"] = None
        # The very object unpack() made (a search plugin swapped a slim body in, then this
        # one back) equals the packed bytes: pack() need not compress it again. Identity,
        # not equality: comparing 33,000 characters would cost what it saves.
        state["_changed"] = value is None or value is not state.get("_unpacked")

    def pack(self, split_at: str | None = None) -> None:
        """Hold the content compressed (compressing again only when it was assigned since
        it was last packed, other than the text :meth:`unpack` gave).

        ``split_at``: a marker that will be replaced later (the playbill's "Referenced
        by" slot); the text before its first occurrence and the text after it are then
        compressed apart, so that :meth:`replace_packed` can put something in its place
        without decompressing and compressing the page again."""
        state = self.__dict__
        plain = state.get("_plain")
        if plain is None:
            return
        if state.get("_changed") or state.get("_packed") is None:
            state["_packed"] = _deflate(plain, split_at)
        state["_plain"] = state["_unpacked"] = None
        state["_changed"] = False

    def packed_around(self, marker: str) -> bool:
        """Whether the page is packed around ``marker`` (see :meth:`pack`): its content
        then holds ``marker``, first at the split, and :meth:`replace_packed` works."""
        state = self.__dict__
        packed = state.get("_packed")
        return (state.get("_plain") is None and isinstance(packed, tuple)
                and packed[1] == marker)

    def replace_packed(self, marker: str, text: str) -> None:
        """``content.replace(marker, text, 1)`` on a page :meth:`packed_around` ``marker``,
        without decompressing it: the first occurrence of ``marker`` is the one the page
        was split at (an earlier one would have been found first)."""
        if not self.packed_around(marker):
            raise ValueError("the page is not packed around this marker")
        head, _marker, tail = self.__dict__["_packed"]
        self.__dict__["_packed"] = (head, text, tail)

    def packed_state(self) -> object | None:
        """The packed text as an opaque token, or ``None`` while the page is held as text.
        The same token (by identity) later means that nothing was assigned to the page
        since: :meth:`pack` keeps the packed value when the text was not changed, and
        :meth:`replace_packed` makes a new one."""
        state = self.__dict__
        return state.get("_packed") if state.get("_plain") is None else None

    def content_parts(self) -> tuple[bytes | str, ...]:
        """The content as it is now, as ``publish.fulltext.Parts``: the compressed runs
        themselves (no copy, nothing decompressed) while the page is packed, else the
        text. Nothing changes the values later (bytes and str are immutable)."""
        state = self.__dict__
        plain, packed = state.get("_plain"), state.get("_packed")
        if plain is not None or packed is None:
            return (plain or "",)
        return (packed,) if isinstance(packed, bytes) else packed

    def unpack(self) -> None:
        """Hold the content as text while the page is being built (read several times)."""
        state = self.__dict__
        packed = state.get("_packed")
        if state.get("_plain") is None and packed is not None:
            state["_plain"] = state["_unpacked"] = _inflate(packed)
            state["_changed"] = False


_Packed = bytes | tuple[bytes, str, bytes]
"""A packed page's text: compressed whole, or (before, what stands between, after)."""


def _compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8", "surrogatepass"), _LEVEL)


def _deflate(text: str, split_at: str | None) -> _Packed:
    at = text.find(split_at) if split_at else -1
    if at < 0 or split_at is None:
        return _compress(text)
    return (_compress(text[:at]), split_at, _compress(text[at + len(split_at):]))


def _inflate(packed: _Packed) -> str:
    if isinstance(packed, bytes):
        return zlib.decompress(packed).decode("utf-8", "surrogatepass")
    head, between, tail = packed
    return (zlib.decompress(head).decode("utf-8", "surrogatepass") + between
            + zlib.decompress(tail).decode("utf-8", "surrogatepass"))


def make_packed(page: Page) -> PackedPage:
    """Turn MkDocs' ``page`` into a :class:`PackedPage` in place (same object, so every
    reference MkDocs and other plugins hold sees the change); its content is kept."""
    if not isinstance(page, PackedPage):
        content = page.__dict__.pop("content", None)
        page.__class__ = PackedPage
        page.content = content
    assert isinstance(page, PackedPage)
    return page


class PackedFile(File):
    """A generated file whose in-memory content (MkDocs' ``File._content``) is held
    zlib-compressed from the plugin's ``on_files`` until MkDocs copies it, after every
    page is converted: the data files (``incidents.json``, the iCalendar and Atom feeds)
    are about 10 KB per incident, and JSON, iCalendar and XML shrink about tenfold.

    MkDocs reads ``_content`` to copy the file and in ``content_bytes`` and
    ``content_string``: each read gives the exact value assigned (``str`` or ``bytes``).
    """

    @property  # type: ignore[override]
    def _content(self) -> str | bytes | None:
        packed = self.__dict__.get("_packed_content")
        if packed is None:
            return None
        is_text, data = packed
        raw = zlib.decompress(data)
        return raw.decode("utf-8", "surrogatepass") if is_text else raw

    @_content.setter
    def _content(self, value: str | bytes | None) -> None:
        if value is None:
            self.__dict__["_packed_content"] = None
            return
        is_text = isinstance(value, str)
        raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        self.__dict__["_packed_content"] = (is_text, zlib.compress(raw, _LEVEL))

    def is_modified(self) -> bool:
        # MkDocs' own answer reads ``_content`` only to see that there is one (``build
        # --dirty``): decompressing the file for it, then again to copy it, cost twice.
        return self.__dict__.get("_packed_content") is not None or super().is_modified()


class WrittenFile(File):
    """A generated file under ``mkdocs serve``: its content held as given (not packed),
    and once MkDocs has written it, read back from the written file.

    Every rebuild makes the data files anew (an edit changes them), so packing them
    cost a compression and two decompressions of about 25 MB per rebuild at 2,000
    incidents (0.15 s of CPU time); the plugin keeps the build's files until the next
    one, so after the copy the content is dropped rather than held between rebuilds
    (``content_bytes`` then reads the file MkDocs wrote: the same bytes).
    """

    def copy_file(self, dirty: bool = False) -> None:
        super().copy_file(dirty)
        if self._content is not None and os.path.isfile(self.abs_dest_path):
            self.abs_src_path = self.abs_dest_path
            self._content = None


PACK_AT_LEAST = 16 * 1024
"""Smaller generated files stay plain: compressing them would save little."""


def generated_file(config: MkDocsConfig, path: str, content: str | bytes, *,
                   pack: bool = True) -> File:
    """MkDocs' ``File.generated`` for a file the plugin writes, packed when it is large
    and ``pack`` (a build); with ``pack=False`` (``mkdocs serve``) a :class:`WrittenFile`."""
    if not pack:
        return WrittenFile.generated(config, path, content=content)
    kind = PackedFile if len(content) >= PACK_AT_LEAST else File
    return kind.generated(config, path, content=content)


class AnchorIds(MutableSet[str]):
    """The anchors of a generated page (MkDocs' ``page.present_anchor_ids``), held as one
    string rather than a set of strings: about 600 bytes instead of 5 KB for a playbill's
    forty-odd ids. MkDocs only asks ``anchor in page.present_anchor_ids`` (when it checks
    links to anchors, after every page is written): a substring search of that length
    costs about what a set lookup does. Ids added later (another plugin) go to a set."""

    __slots__ = ("_extra", "_joined", "_removed")

    def __init__(self, ids: Iterable[str]) -> None:
        unique = set(ids)
        # An id holding the separator (raw HTML can) stays in the set.
        self._extra = {i for i in unique if _SEPARATOR in i}
        self._joined = _SEPARATOR + _SEPARATOR.join(sorted(unique - self._extra)) + _SEPARATOR
        self._removed: set[str] = set()

    def __contains__(self, anchor: object) -> bool:
        if not isinstance(anchor, str) or not anchor or anchor in self._removed:
            return False
        if anchor in self._extra:
            return True
        return _SEPARATOR not in anchor and f"{_SEPARATOR}{anchor}{_SEPARATOR}" in self._joined

    def __iter__(self) -> Iterator[str]:
        joined = self._joined[1:-1].split(_SEPARATOR) if len(self._joined) > 2 else []
        yield from (i for i in joined if i not in self._removed and i not in self._extra)
        yield from self._extra

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def add(self, value: str) -> None:
        self._removed.discard(value)
        if value not in self:
            self._extra.add(value)

    def discard(self, value: str) -> None:
        if value in self:
            self._extra.discard(value)
            self._removed.add(value)


_SEPARATOR = "\n"
"""Never in an id our templates write (ids come from slugs and numbers)."""


def anchor_ids(html: str) -> set[str]:
    """The values of the ``id="..."`` attributes in ``html``: exactly what
    ``re.findall(r'\\bid="([^"]+)"', html)`` finds (``tests/test_fast_paths.py`` checks
    it against that expression), in a tenth of its time on a playbill.

    Why not the expression: a ``\\b`` before the literal keeps ``re`` from its fast
    literal search, so it tried the pattern at each of a playbill's 100,000 characters
    (0.5 ms a page); ``str.find`` jumps from one ``id="`` to the next. Linear in
    ``len(html)``: each step starts after the previous one.
    """
    found: set[str] = set()
    find = html.find
    at = find('id="')
    while at >= 0:
        if at > 0 and ((before := html[at - 1]).isalnum() or before == "_"):
            at = find('id="', at + 1)  # "aid=": \b needs a non-word character before
            continue
        end = find('"', at + 4)
        if end < 0:
            break  # no closing quote here, so none after any later id=" either
        if end == at + 4:
            at = find('id="', at + 1)  # id="": [^"]+ needs one character
            continue
        found.add(html[at + 4:end])
        at = find('id="', end + 1)
    return found


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


_TRIM = _malloc_trim()
TRIM_EVERY = 200
"""Pages written between two returns of free memory (each takes a few milliseconds)."""


def return_free_memory() -> None:
    """Give the memory the C heap holds free back to the system (glibc only; elsewhere
    nothing happens).

    Each page MkDocs writes allocates and frees its HTML (about 100 KB for a playbill),
    between long-lived allocations (the search index, packed bodies); glibc keeps the
    freed pages of its heap resident, so the process's resident size grows by about
    7 KB per page above what is alive (measured: 14 MB at 500 playbills). Called after
    reading the incidents, once every page is converted, and every :data:`TRIM_EVERY`
    pages written. It changes where memory lives, never what the build writes.
    """
    if _TRIM is not None:
        _TRIM(0)
