"""While ``mkdocs serve`` runs: an incident file's problems shown where its playbill was.

An author edits a YAML file with the playbill open in the browser. When an
edit breaks the file, the build leaves the incident out (and says why in the
terminal); the browser, reloaded by ``mkdocs serve``, would show "page not
found". Instead, for a file that was published earlier in the same serve
session, a page at the playbill's address lists the problems, escaped, with
their lines; the next good save brings the playbill back. ``mkdocs build``
never makes such a page: there the problems are warnings and ``--strict``
fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from ..model.problems import Problem
from ..render.i18n import N_
from ..render.playbill import safe_title
from .theater import Theater

TEMPLATE = "pmtheater/problems.html"


@dataclass(frozen=True)
class Address:
    incident_id: str
    src_uri: str


@dataclass(frozen=True)
class ProblemPage:
    incident_id: str
    file: str
    problems: list[Problem]


class ServeProblems:
    """Lives as long as the plugin in ``mkdocs serve``: remembers where playbills were."""

    def __init__(self) -> None:
        self.addresses: dict[str, Address] = {}
        """Incident file (docs-relative) -> its playbill in the last build that had one."""
        self.pages: dict[str, ProblemPage] = {}

    def add_files(self, theater: Theater, files: Files, config: MkDocsConfig) -> None:
        self.pages = {}
        catalog = theater.catalog
        published = {incident.source for incident in theater.playbills.values()}
        for src_uri, incident in theater.playbills.items():
            self.addresses[incident.source] = Address(incident.id, src_uri)
        # A file read without a problem but left out on purpose (a draft the site hides)
        # has no playbill to come back: its address is forgotten, as a build publishes
        # nothing there (not a problems page naming the hidden draft).
        left_out = {incident.source for incident in catalog.incidents
                    if not theater.production.is_published(incident)}
        self.addresses = {src: a for src, a in self.addresses.items()
                          if src in catalog.files and src not in left_out}
        by_file: dict[str, list[Problem]] = {}
        for problem in catalog.problems:
            by_file.setdefault(problem.file, []).append(problem)
        for src, loaded in catalog.files.items():
            address = self.addresses.get(src)
            if src in published or address is None:
                continue
            # The address may have been taken since (a page added at the same path).
            if theater.production.claim_page(address.src_uri, f"the problems of {loaded.display}"):
                continue
            page = ProblemPage(address.incident_id, loaded.display,
                               by_file.get(loaded.display, []))
            title = safe_title(theater.production.labels.gettext(
                N_("%(id)s: problems in %(file)s")) % {"id": address.incident_id,
                                                         "file": loaded.display})
            front = "---\n" + yaml.safe_dump({"title": title}, allow_unicode=True) + "---\n"
            files.append(File.generated(config, address.src_uri, content=front,
                                        inclusion=InclusionLevel.NOT_IN_NAV))
            self.pages[address.src_uri] = page

    def render(self, page: Page, theater: Theater) -> str | None:
        """The body of a problem page; None for other pages."""
        found = self.pages.get(page.file.src_uri)
        if found is None:
            return None
        template = theater.renderer().env.get_template(TEMPLATE)
        return template.render(incident_id=found.incident_id, file=found.file,
                               problems=found.problems)
