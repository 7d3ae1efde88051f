"""Labels in the site's language: every word the theater writes goes through one catalogue.

The catalogues are standard gettext ``.po`` files shipped in the package
(``mkdocs_pmtheater/locales/<locale>/LC_MESSAGES/pmtheater.po``, template
``locales/pmtheater.pot``), the way MkDocs' own themes translate theirs. They are
compiled in memory with Babel when first used, so neither the repository nor an
install needs a compile step. Templates use Jinja's ``i18n`` extension (``_()``,
``{% trans %}``, ``ngettext``); Python code marks its strings with :func:`N_`
(for extraction) and translates them through a :class:`Labels`.

Rules (README, "Labels in the site's language"):

* the language is the theme's ``language`` (Material, Zensical) or ``locale``
  (the ``mkdocs`` theme), a BCP 47 tag or a gettext locale (``pt-BR``, ``pt_BR``);
  a region the catalogues do not have falls back to the language (``de-AT`` →
  ``de``), a few languages to their usual region or script (``pt`` → ``pt_BR``,
  ``zh``/``zh-CN`` → ``zh_Hans``), anything else to English;
* plural forms follow the language's CLDR rules (the ``Plural-Forms`` Babel writes
  for the locale);
* a message a catalogue lacks, or leaves empty, is the English text, never empty;
* a site may replace any label with the plugin option ``labels``, keyed by the
  English text (the msgid); the replacement keeps the msgid's placeholders;
* dates stay ISO 8601; only the words around them change.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "pmtheater"
LOCALES = ("en", "de", "fr", "es", "pt_BR", "ja", "zh_Hans")
"""Languages with a shipped catalogue (English is the source language)."""
_ALIASES = {
    "pt": "pt_BR",
    "zh": "zh_Hans", "zh_CN": "zh_Hans", "zh_SG": "zh_Hans", "zh_Hans_CN": "zh_Hans",
}
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug",
                           "ur", "yi"})
"""Languages written right to left (their pages get ``dir="rtl"`` blocks)."""
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalogue; translated later by a Labels."""
    return message


def normalise(language: str | None) -> str:
    """The gettext form of a language tag: ``pt-br`` → ``pt_BR``, ``zh-hans`` → ``zh_Hans``."""
    parts = [p for p in re.split(r"[-_]", (language or "").strip()) if p][:3]
    if not parts:
        return ""
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper())
    return "_".join(out)


def locale_of(language: str | None) -> str:
    """The shipped catalogue for ``language`` (see the module's rules); ``en`` if none."""
    tag = normalise(language)
    candidates = [tag, "_".join(tag.split("_")[:2]), tag.split("_")[0]]
    for candidate in candidates:
        candidate = _ALIASES.get(candidate, candidate)
        if candidate in LOCALES:
            return candidate
    return "en"


def direction_of(language: str | None) -> str:
    """``rtl`` for languages written right to left, else ``ltr``."""
    return "rtl" if normalise(language).split("_")[0] in RTL_LANGUAGES else "ltr"


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``locale`` (English: none, the msgids are the text).

    Babel's ``write_mo`` leaves out empty and fuzzy messages, so gettext falls back to the
    English msgid for them.
    """
    path = po_path(locale)
    if locale == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def placeholders(text: str) -> set[str]:
    """The ``%(name)s`` placeholders of a message."""
    return set(_PLACEHOLDER.findall(text))


class Labels:
    """The labels of one site: its language's catalogue, then its own ``labels`` option.

    ``overrides`` maps an English msgid (for a plural message, its singular) to the
    site's text, used for every plural form. An override whose placeholders differ
    from the msgid's would break the page, so it is left out and described in
    :attr:`problems` (a sentence each, for the adapter to report).
    """

    def __init__(self, language: str | None = None,
                 overrides: Mapping[str, str] | None = None) -> None:
        self.language = language or "en"
        self.locale = locale_of(language)
        self.direction = direction_of(language)
        self.catalogue = translations(self.locale)
        self.overrides: dict[str, str] = {}
        self.problems: list[str] = []
        for msgid, text in (overrides or {}).items():
            wanted, given = placeholders(msgid), placeholders(str(text))
            if wanted != given:
                self.problems.append(
                    f"labels: the replacement for {msgid!r} uses the placeholders "
                    f"{sorted(given)} but the label has {sorted(wanted)}; write the same "
                    "%(name)s placeholders (the English label is used meanwhile)")
                continue
            self.overrides[str(msgid)] = str(text)

    @property
    def lang(self) -> str:
        """The catalogue's BCP 47 tag, for ``lang`` attributes (``pt-BR``)."""
        return self.locale.replace("_", "-")

    def gettext(self, message: str) -> str:
        """``message`` (an English msgid) in the site's language."""
        if message in self.overrides:
            return self.overrides[message]
        return self.catalogue.gettext(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of a counted message for ``n``, by the language's plural rules."""
        if singular in self.overrides:
            return self.overrides[singular]
        return self.catalogue.ngettext(singular, plural, n) or (
            singular if n == 1 else plural)

    def count(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """A counted message with ``%(num)d`` (and ``values``) filled in."""
        return self.ngettext(singular, plural, n) % {"num": n, **values}

    def duration(self, delta: timedelta) -> str:
        """``1 h 05 min`` in the site's words, exact to the minute (seconds under a minute).

        The same parts as :func:`~mkdocs_pmtheater.model.timestamps.format_duration`:
        ``1 d 0 h 11 min``, ``1 d 3 h``, ``2 h 05 min``, ``5 min``, ``30 s``.
        """
        minutes = int(delta.total_seconds() // 60)
        if minutes < 0:
            return "-" + self.duration(-delta)
        days, minutes = divmod(minutes, 24 * 60)
        hours, minutes = divmod(minutes, 60)

        # Unit words are plural messages: a language may inflect them by its plural rules.
        d = self.ngettext("%(num)s d", "%(num)s d", days) % {"num": days}
        h = self.ngettext("%(num)s h", "%(num)s h", hours) % {"num": hours}
        if days:
            if minutes:  # a day or more keeps its minutes: 1 d 0 h 11 min (format 1.1)
                m = self.ngettext("%(num)s min", "%(num)s min", minutes) % {"num": minutes}
                return self.gettext("%(days)s %(hours)s %(minutes)s") % {
                    "days": d, "hours": h, "minutes": m}
            return self.gettext("%(days)s %(hours)s") % {"days": d, "hours": h} \
                if hours else d
        if hours:
            if not minutes:
                return h
            m = self.ngettext("%(num)s min", "%(num)s min", minutes) % {"num": f"{minutes:02d}"}
            return self.gettext("%(hours)s %(minutes)s") % {"hours": h, "minutes": m}
        seconds = int(delta.total_seconds()) % 60
        if minutes == 0 and seconds:
            return self.ngettext("%(num)s s", "%(num)s s", seconds) % {"num": seconds}
        return self.ngettext("%(num)s min", "%(num)s min", minutes) % {"num": minutes}

    def days(self, days: int) -> str:
        """A span known only to the day (a day-only end): ``≈ 2 d``."""
        return "≈ " + self.ngettext("%(num)s d", "%(num)s d", days) % {"num": days}

    def before_impact(self, span: str) -> str:
        """``span`` (already in words) ending before impact began (format 1.1)."""
        return self.gettext("%(duration)s before impact") % {"duration": span}

    def since_start(self, incident: Any, name: str) -> str:
        """``Incident.since_start_text`` in the site's words: exact to the minute, ``≈``
        when an end is approximate, ``≈ N d`` when an end is a date alone; empty when the
        milestone is not written."""
        delta = incident.since_start(name)
        if delta is None:
            return ""
        if name in incident.day_only or "started_at" in incident.day_only:
            if delta < timedelta(0):
                return self.before_impact(self.days(-delta.days))
            return self.days(delta.days)
        approximate = name in incident.approximate or "started_at" in incident.approximate
        if delta < timedelta(0):
            text = self.before_impact(self.duration(-delta))
        else:
            text = self.duration(delta)
        return "≈ " + text if approximate else text

    def install(self, env: Environment) -> None:
        """Give ``env`` Jinja's i18n extension with this site's labels.

        Translations are text, never markup: they are escaped here, and Jinja's
        new-style gettext escapes the values put into them.
        """
        if "jinja2.ext.InternationalizationExtension" not in env.extensions:
            env.add_extension("jinja2.ext.i18n")

        def jinja_gettext(message: str) -> Markup:
            return escape(self.gettext(message))

        def jinja_ngettext(singular: str, plural: str, n: int) -> Markup:
            return escape(self.ngettext(singular, plural, n))

        env.install_gettext_callables(  # type: ignore[attr-defined]
            jinja_gettext, jinja_ngettext, newstyle=True)
        translated: dict[tuple[str, bool], str] = {}

        # A playbill calls _() about 150 times, mostly for the same few labels; Jinja's
        # alias resolves and calls through four functions each time. A label without
        # values always gives the same text: keep it (per environment, so per build).
        # What Jinja's new-style gettext does (jinja2.ext._make_new_gettext), with the
        # evaluation context instead of the whole context: it reads nothing else, and
        # Jinja gives a pass_context function called inside a loop a new derived
        # Context each time (a fifth of a playbill's template time went there).
        @pass_eval_context
        def cached_gettext(eval_ctx: EvalContext, message: str, **values: Any) -> str:
            plain = not values and type(message) is str
            key = (message, eval_ctx.autoescape)
            if plain and (text := translated.get(key)) is not None:
                return text
            rv = jinja_gettext(message)
            if eval_ctx.autoescape:
                rv = Markup(rv)
            # Always a format string, as new-style gettext has it ('%%' reads '%').
            text = rv % values
            if plain:
                translated[key] = text
            return text

        env.globals["gettext"] = env.globals["_"] = cached_gettext
        env.globals["labels"] = self


ENGLISH = Labels()
"""The source language, for code that has no site."""


# Messages whose English text lives in the model or in the data (statuses, the
# critique's questions, plot headings, facets, measures, milestones): templates
# translate them with ``_(value)``; listed here so that extraction finds them.
DYNAMIC_MESSAGES = (
    # statuses of an incident and of an action item (the tokens of the format)
    N_("draft"), N_("in-review"), N_("published"),
    N_("open"), N_("in-progress"), N_("blocked"), N_("done"), N_("wont-do"),
    # the five critique questions (model.incident.REVIEW_PROMPTS)
    N_("What went well?"), N_("Where did we get lucky?"),
    N_("What could have been more successful?"), N_("How did we not detect this sooner?"),
    N_("Why did our process allow this?"),
    # plot headings (model.incident.Plot.points)
    N_("Lead-up"), N_("Climax"), N_("Turning point"), N_("Resolution"),
    # index facets (catalogue.views.facets)
    N_("Severity"), N_("Service"), N_("Tag"), N_("Year"), N_("Status"),
    # measures (catalogue.metrics.MEASURES) and their medians
    N_("Time to detect"), N_("Time to mitigate"), N_("Time to resolve"),
    N_("Median time to detect"), N_("Median time to mitigate"),
    N_("Median time to resolve"),
    # theme groups (catalogue.themes), swimlane lanes and marks (render.swimlane)
    N_("Categories"), N_("Contributing factors"), N_("Root causes"), N_("Services"),
    N_("Tags"), N_("Action-item kinds"), N_("Started"),
    # milestones (partials/header.html)
    N_("Impact started"), N_("Detected"), N_("Mitigated"), N_("Resolved"),
)
