"""Every page and file the plugin publishes, as files for ``docs_dir`` (``pmtheater render``).

Zensical runs none of our MkDocs plugin code but publishes whatever Markdown
pages, assets and data files it finds in ``docs_dir``. :func:`render_site`
runs the core's :class:`~..publish.production.Production` over the site's
files (listed without MkDocs, with the MkDocs family's URL rules) and turns
each generated page into a Markdown file whose body is one HTML block: the
very HTML the plugin puts on the page. Generated pages carry no Markdown
syntax, because Zensical's roadmap replaces Python-Markdown with a CommonMark
parser, and an HTML block in CommonMark ends at the first blank line, so the
block holds none (a blank line inside ``<pre>`` becomes ``&#10;``).

Links between generated pages are final URLs (Zensical does not rewrite
links inside HTML). "Edit this page" cannot be pointed at the YAML file from
front matter in Zensical, so playbills carry ``data-pmt-edit`` with the URL
and ``pmtheater.js`` points the theme's edit button there.

"Referenced by" on playbills is computed from every hand-written page's
incident links (a Markdown pass per page with our link extension), which also
reports broken ones as the build does. "Incidents that used this page" at
the end of runbooks is added when Zensical renders the runbook, by the
``pmtheater`` Markdown extension (``zensical/extension.py``).
"""

from __future__ import annotations

import importlib
import json
import os
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import markdown
from jinja2 import ChoiceLoader, FileSystemLoader

from ..links.incident_links import IncidentLinkExtension, IncidentLinks, LinkIndex, LinkingPage
from ..load.loader import IncidentLoader
from ..model.problems import Problem, display_path
from ..model.timestamps import site_zone
from ..publish.outputs import Output
from ..publish.production import (
    TEMPLATES_DIR,
    Production,
    Site,
    read_sources,
)
from ..publish.urls import DocsTree, SourceTree, page_url
from .writer import MANIFEST_NAME, generated_files

if TYPE_CHECKING:
    from ..cli.project import Project

_BLANK_LINE = re.compile(r"\n[ \t]*(?=\n)")
_PRE_OPEN = re.compile(r"<(pre|textarea)\b", re.I)
_PRE_CLOSE = re.compile(r"</(pre|textarea)\s*>", re.I)
_REFERENCES_TEMPLATE = "pmtheater/partials/referenced-by.html"
_SLOT = "<!-- pmtheater:referenced-by -->"
_TITLE = re.compile(r"\A---\n(?:(?!---)[^\n]*\n)*?title:[ \t]*([^\n]+)\n|^#[ \t]+([^\n]+)$", re.M)


ZENSICAL_OUTPUTS = (("404.html", "Zensical's page 404.html"),
                    ("sitemap.xml", "Zensical's sitemap"),
                    ("search.json", "Zensical's search index"))
"""Files ``zensical build`` writes besides the pages (version 0.0.73)."""
ZENSICAL_DEFAULT_EXTENSIONS = ("abbr", "admonition", "attr_list", "def_list", "footnotes",
                               "md_in_html", "toc", "tables")
"""The plain Python-Markdown part of Zensical's default list, for sites that name none."""
_CALLABLE_OPTIONS = {"emoji_index", "emoji_generator"}


def markdown_settings(raw: dict[str, Any], *, zensical_defaults: bool = False
                      ) -> tuple[list[Any], dict[str, Any]]:
    """The site's ``markdown_extensions`` as ``(names, configs)``, from mkdocs.yml's list
    form (``[toc, {admonition: {...}}]``) or zensical.toml's table form (where
    ``pymdownx.details = {}`` nests under ``pymdownx``, which Zensical hoists too).

    ``toc`` and ``tables`` are always on, as in MkDocs and Zensical; a zensical.toml
    that names none gets the plain part of Zensical's defaults. Our own
    ``pmtheater`` extension is left out (the production resolves links in incident
    text), and so are config values the command could not load: None from a YAML tag
    (``!!python/name:...``), or a dotted name of a function that does not import.
    """
    declared = raw.get("markdown_extensions")
    if declared is None:
        declared = list(ZENSICAL_DEFAULT_EXTENSIONS) if zensical_defaults else []
    entries: list[tuple[str, Any]] = []
    if isinstance(declared, dict):
        for name, config in declared.items():
            if name == "pymdownx" and isinstance(config, dict):
                for sub, sub_config in config.items():
                    if sub == "blocks" and isinstance(sub_config, dict):
                        entries += [(f"pymdownx.blocks.{b}", c) for b, c in sub_config.items()]
                    else:
                        entries.append((f"pymdownx.{sub}", sub_config))
            else:
                entries.append((name, config))
    elif isinstance(declared, list):
        for entry in declared:
            if isinstance(entry, str):
                entries.append((entry, None))
            elif isinstance(entry, dict) and len(entry) == 1:
                entries.append(next(iter(entry.items())))
    names: list[Any] = []
    configs: dict[str, Any] = {}
    for name, config in [("toc", None), ("tables", None), *entries]:
        if not isinstance(name, str) or name == "pmtheater":
            continue
        if name not in names:
            names.append(name)
        if isinstance(config, dict):
            kept = {k: _option(k, v) for k, v in config.items() if v is not None}
            kept = {k: v for k, v in kept.items() if v is not None}
            if kept:
                configs[name] = kept
    return names, configs


def _option(key: str, value: Any) -> Any:
    """A config value; a dotted function name for emoji options is imported (None: fails)."""
    if key in _CALLABLE_OPTIONS and isinstance(value, str):
        module, _, name = value.rpartition(".")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError):
            return None
    return value


def docs_files(docs_dir: Path, generated: set[str]) -> list[str]:
    """Every file of ``docs_dir`` as the MkDocs family lists them (POSIX, sorted): no
    dotfiles or dot-folders, no top-level ``templates/``, and none of ``generated``."""
    found = []
    for folder, dirs, names in os.walk(docs_dir):
        rel = Path(folder).relative_to(docs_dir).as_posix()
        rel = "" if rel == "." else rel
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (rel == "" and d == "templates"))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = f"{rel}/{name}" if rel else name
            if path not in generated:
                found.append(path)
    return found


def html_block(body: str) -> str:
    """``body`` as one HTML block without blank lines, rendering the same in a browser:
    blank lines between elements go, those inside ``<pre>``/``<textarea>`` become ``&#10;``."""
    out: list[str] = []
    depth = 0
    position = 0
    for match in _BLANK_LINE.finditer(body):
        chunk = body[position:match.start()]
        depth += len(_PRE_OPEN.findall(chunk)) - len(_PRE_CLOSE.findall(chunk))
        out.append(chunk)
        out.append("&#10;" if depth > 0 else "")
        position = match.end()
    out.append(body[position:])
    return "".join(out).strip("\n")


def edit_url(raw: dict[str, Any], source: str) -> str | None:
    """The "edit this page" URL of docs file ``source``, as the site's ``repo_url`` and
    ``edit_uri`` give it (MkDocs' rule); None when the site has no repository."""
    repo_url = raw.get("repo_url")
    if not isinstance(repo_url, str) or not repo_url:
        return None
    edit_uri = raw.get("edit_uri")
    if not isinstance(edit_uri, str):
        host = repo_url.lower()
        edit_uri = ("edit/master/docs/" if "github.com" in host or "gitlab.com" in host
                    else None)
        if edit_uri is None:
            return None
    if not edit_uri.endswith("/"):
        edit_uri += "/"
    if "://" in edit_uri:
        return edit_uri + source
    return repo_url.rstrip("/") + "/" + edit_uri.lstrip("/") + source


def _front_matter_and_body(markdown_source: str, body: str, extra: dict[str, Any]) -> str:
    front, _, _ = markdown_source.rpartition("---\n")
    meta_text = front.strip().removeprefix("---").strip()
    meta = json.loads(meta_text) if meta_text.startswith("{") else None
    if meta is None:  # YAML front matter (catalogue pages): keep it as written
        head = front
    else:
        head = "---\n" + json.dumps({**meta, **extra}, ensure_ascii=False,
                                    sort_keys=True) + "\n"
    return f"{head}---\n{body}\n"


@dataclass
class StagedSite:
    """A site's production, staged from its files without MkDocs, with what links need."""

    project: Project
    production: Production
    site_files: dict[str, str]
    """Every hand-written file of docs_dir (docs-relative) -> how messages name it."""
    tree: DocsTree
    """Where every file of the built site is, generated ones included."""
    outputs: list[Output]
    """Data files and assets (not pages)."""
    markdown_names: list[Any]
    problems: list[Problem]
    links: IncidentLinks
    index: LinkIndex

    @property
    def raw(self) -> dict[str, Any]:
        return getattr(self.project, "raw", {}) or {}


def stage_site(project: Project, *, today: Any = None,
               report: Callable[[Problem], None] | None = None) -> StagedSite:
    """Read the site's files and incidents and plan every published file (no page is
    rendered yet). Problems go to ``report`` when given, else to ``.problems``."""
    options = project.site_options()
    raw: dict[str, Any] = getattr(project, "raw", {}) or {}
    docs_dir = project.docs_dir
    root = str(project.root)
    prefix = options.prefix
    manifest = f"{prefix}/{MANIFEST_NAME}" if prefix else MANIFEST_NAME
    directory_urls = bool(project.config["use_directory_urls"])
    config_file = getattr(project, "config_file", None)
    names, configs = markdown_settings(
        raw, zensical_defaults=config_file is not None and config_file.suffix == ".toml")
    theme = raw.get("theme") if isinstance(raw.get("theme"), dict) else {}
    assert isinstance(theme, dict)
    loaders = []
    custom_dir = theme.get("custom_dir")
    if isinstance(custom_dir, str) and custom_dir:
        loaders.append(FileSystemLoader(str(project.root / custom_dir)))
    loaders.append(FileSystemLoader(str(TEMPLATES_DIR)))
    zone = site_zone(options.timezone)
    site = Site(
        name=str(raw.get("site_name") or project.config["site_name"] or ""),
        url=project.config["site_url"], author=project.config["site_author"],
        directory_urls=directory_urls, markdown_extensions=names, markdown_configs=configs,
        config_file=display_path(str(config_file), root) if config_file else None,
        # Zensical's theme shares Material's markup and palette variables.
        material=theme.get("name", "material") in ("material", None),
        language=str(theme.get("language") or theme.get("locale") or "en"),
    )
    production = Production(options, IncidentLoader(tuple(options.severities), zone),
                            site=site, templates=ChoiceLoader(loaders), zone=zone, today=today)

    files = docs_files(docs_dir, set(generated_files(docs_dir, manifest)))
    site_files = {}
    incident_files = []
    for src_uri in files:
        path = docs_dir / src_uri
        display = display_path(str(path), root)
        if production.is_incident_file(src_uri):
            incident_files.append((src_uri, str(path), display, path.read_bytes))
        else:
            site_files[src_uri] = display
    sources, refused = read_sources(incident_files, (str(docs_dir), root))
    problems: list[Problem] = []
    collect = report or problems.append
    production.report = collect
    production.stage(sources, site_files, generator_outputs=ZENSICAL_OUTPUTS)
    for problem in [*production.problems, *refused]:
        collect(problem)

    # Zensical resolves relative links from the source file, raw HTML included.
    tree = SourceTree(site_files, directory_urls=directory_urls)
    outputs = [*production.outputs,
               *production.data_outputs(lambda src: page_url(src, directory_urls=directory_urls)
                                        if src in production.pages else None),
               *(Output(path, source.read_bytes()) for path, source in production.assets())]
    for src_uri in production.pages:
        tree.add(src_uri)
    for output in outputs:
        tree.add(output.path)

    index = LinkIndex()
    links = IncidentLinks(production.catalog, production.playbills,
                          incidents_dir=production.incidents_dir,
                          drafts_hidden=options.drafts_hidden, index=index, root=root,
                          report=collect)
    links.already_reported(production.reported_links)
    production.link_hook = lambda href, incident, page: links.field_href(href, incident, page,
                                                                         tree)
    production.folder_link_hook = lambda href, folder, page: links.folder_href(
        href, folder, page, tree)
    production.catalogue.link_resolver = lambda folder, page, site: (
        lambda href: links.folder_href(href, folder, page, site))
    return StagedSite(project, production, site_files, tree, outputs, names, problems, links,
                      index)


def render_site(project: Project, *, today: Any = None) -> tuple[list[Output], list[Problem]]:
    """Every file the plugin would publish for ``project``, as :class:`Output` for
    ``docs_dir``, and the problems found (as the build reports them).

    Pages come first (playbills, then catalogue pages), then data files and
    assets; the same sources give the same outputs, byte for byte.
    """
    staged = stage_site(project, today=today)
    production, tree, problems = staged.production, staged.tree, staged.problems
    titles = _record_page_links(project.docs_dir, staged.site_files, staged.links)

    outputs: list[Output] = []
    referrers = staged.index.referrers()
    # With md_in_html, a `markdown` attribute lets today's Zensical put the headings in
    # the table of contents; the children stay raw HTML. A CommonMark parser ignores it.
    toc_attribute = " markdown" if {"md_in_html", "markdown.extensions.md_in_html"} & {
        n for n in staged.markdown_names if isinstance(n, str)} else ""
    for src_uri, page in production.pages.items():
        rendered = (production.playbill(src_uri, tree) if page.incident is not None
                    else production.catalogue_page(src_uri, tree))
        if rendered is None:  # pragma: no cover - every generated page renders
            continue
        body = rendered[0]
        attributes = ""
        if page.incident is not None:
            body = body.replace(_SLOT, _references(production, tree, src_uri,
                                                   referrers.get(page.incident.slug, []),
                                                   titles), 1)
            source = page.edit_source
            url = edit_url(staged.raw, source) if source else None
            if url:
                attributes = f' data-pmt-edit="{_attribute(url)}"'
        block = f'<div class="pmt-page"{toc_attribute}{attributes}>\n{html_block(body)}\n</div>'
        outputs.append(Output(src_uri, _front_matter_and_body(page.markdown, block, {})
                              .encode("utf-8")))
    outputs.extend(staged.outputs)
    return outputs, sorted(problems, key=Problem.sort_key)


def _attribute(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _record_page_links(docs_dir: Path, site_files: dict[str, str], links: IncidentLinks
                       ) -> dict[str, str]:
    """Find the incident links of every hand-written page (for "Referenced by"), reporting
    broken ones as the build does; returns each page's title (front matter ``title`` or
    its first ``#`` heading)."""
    titles: dict[str, str] = {}
    extension = IncidentLinkExtension()
    extension.links = links
    md = markdown.Markdown(extensions=[extension])
    for src_uri, display in site_files.items():
        if not src_uri.endswith(".md"):
            continue
        path = docs_dir / src_uri
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        title = _TITLE.search(text)
        if title:
            titles[src_uri] = (title.group(1) or title.group(2)).strip().strip("'\"")
        links.begin_page(LinkingPage(src_uri, display, lambda t=text: t))
        md.reset()
        md.convert(_without_front_matter(text))
        links.end_page()
    return titles


def _title_from_path(src: str) -> str:
    return posixpath.splitext(posixpath.basename(src))[0].replace("-", " ").capitalize()


def _without_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end >= 0:
            return "\n" * text.count("\n", 0, end + 5) + text[end + 5:]
    return text


def _references(production: Production, tree: DocsTree, page: str, referrers: Iterable[str],
                titles: dict[str, str]) -> str:
    """The "Referenced by" block of a playbill, from the pages that link to it."""
    from markupsafe import Markup

    found = []
    for src in referrers:
        if src == page:
            continue
        url = tree.url(src, page)
        if url is None:
            continue
        found.append({"title": Markup.escape(titles.get(src) or _title_from_path(src)),
                      "url": url})
    if not found:
        return ""
    template = production.renderer().env.get_template(_REFERENCES_TEMPLATE)
    incident = production.playbills[page]
    return template.render(references=found, incident=incident, page=None)
