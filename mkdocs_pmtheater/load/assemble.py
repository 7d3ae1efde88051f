"""Turn one schema-valid mapping into an :class:`Incident`, checking what a schema cannot.

The schema has already vouched for keys and types. What is left needs the
values themselves: real dates, times in order, characters that are in the
cast, ids that are unique within the file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any

from ..model.incident import (
    ActionItem,
    Award,
    CastMember,
    Incident,
    Plot,
    Prop,
    Review,
    Scene,
    Setting,
    Why,
)
from ..model.problems import FieldPath, Problem, did_you_mean, excerpt, format_path, quoted
from ..model.timestamps import (
    NonexistentTime,
    Reading,
    on_same_day,
    parse_bare_time,
    parse_date,
    read_timestamp,
)
from .urlcheck import url_problem
from .yamlsource import SourceMap

MILESTONES = ("started_at", "detected_at", "mitigated_at", "resolved_at")


def same_text_key(text: str) -> str:
    """What two spellings of a role share when a reader could not tell them apart: the
    same characters after NFC (``é`` precomposed or ``e`` + U+0301) and single spaces (a
    page collapses runs of spaces)."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def look_alike_key(text: str) -> str:
    """Coarser than :func:`same_text_key`: NFKC also folds compatibility forms (full-width
    letters, ligatures such as ``ﬁ``) that look like the plain letters."""
    return unicodedata.normalize("NFKC", " ".join(text.split()))


def _spelled(text: str) -> str:
    """``'Cafe\\u0301'``: a value with every non-ASCII character as its code, to show how
    two spellings that look the same differ."""
    return quoted("".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in text[:60]), 400)


class _Assembler:
    def __init__(self, data: dict[str, Any], source: SourceMap, file: str, zone: tzinfo) -> None:
        self.data = data
        self.source = source
        self.file = file
        self.zone = zone
        self.problems: list[Problem] = []

    def problem(self, path: FieldPath, message: str, hint: str = "", *, key: bool = False,
                blocking: bool = True) -> None:
        line, column = self.source.locate(path, key=key)
        self.problems.append(Problem(self.file, line, column, format_path(path), message, hint,
                                     blocking))

    def line_of(self, path: FieldPath) -> int:
        return self.source.locate(path)[0]

    def reading(self, path: FieldPath, read: Callable[[], Reading], hint: str) -> Reading | None:
        """Run ``read``; report a time that does not exist, or one that happened twice."""
        try:
            reading = read()
        except NonexistentTime as exc:
            self.problem(path, str(exc), exc.hint)
            return None
        except ValueError as exc:
            self.problem(path, str(exc), hint)
            return None
        if reading.ambiguity is not None:
            self.problem(path, *reading.ambiguity, blocking=False)
        return reading

    def timestamp(self, path: FieldPath, text: str) -> Reading | None:
        return self.reading(path, lambda: read_timestamp(text, self.zone),
                            "write it as 2024-03-14T14:02:00Z")

    def date(self, path: FieldPath, text: str | None) -> date | None:
        if text is None:
            return None
        try:
            return parse_date(text)
        except ValueError as exc:
            self.problem(path, str(exc), "write it as YYYY-MM-DD, e.g. 2024-11-30")
            return None

    def build(self) -> Incident | None:
        d = self.data
        readings: dict[str, Reading | None] = {}
        for name in MILESTONES:
            readings[name] = self.timestamp((name,), d[name]) if name in d else None
        moments = {name: r.instant if r else None for name, r in readings.items()}
        self.check_milestones(moments)
        started = moments["started_at"]
        cast = [CastMember(c["role"], c.get("actor"), c.get("notes")) for c in d.get("cast", [])]
        self.check_cast(cast)
        timeline = self.scenes(d.get("timeline", []), readings["started_at"], cast)
        items = self.action_items(d.get("action_items", []), d.get("id", ""))
        self.check_links(d)
        incident = Incident(
            id=d.get("id", ""),
            title=d.get("title", ""),
            severity=d.get("severity", ""),
            status=d.get("status", "published"),
            started_at=started,  # type: ignore[arg-type]  # None only when problems exist
            detected_at=moments["detected_at"],
            mitigated_at=moments["mitigated_at"],
            resolved_at=moments["resolved_at"],
            summary=d.get("summary", ""),
            source="",
            services=list(d.get("services", [])),
            tags=list(d.get("tags", [])),
            impact=d.get("impact"),
            director=d.get("director"),
            review_date=self.date(("review_date",), d.get("review_date")),
            cast=cast,
            timeline=timeline,
            setting=self.setting(d.get("setting")),
            plot=Plot(**d["plot"]) if "plot" in d else None,
            review=self.review(d.get("review")),
            action_items=items,
            awards=[Award(a["award"], a["recipient"], a.get("citation"))
                    for a in d.get("awards", [])],
        )
        return None if any(p.blocking for p in self.problems) else incident

    def check_links(self, d: dict[str, Any]) -> None:
        """``url`` and ``tracker`` by the browser's reading of a URL (see urlcheck)."""
        setting = d.get("setting")
        props = setting.get("props", []) if isinstance(setting, dict) else []
        places: list[tuple[FieldPath, Any]] = [
            (("setting", "props", i, "url"), p.get("url")) for i, p in enumerate(props)
            if isinstance(p, dict)]
        places += [(("action_items", i, "tracker"), item.get("tracker"))
                   for i, item in enumerate(d.get("action_items", [])) if isinstance(item, dict)]
        for path, value in places:
            if isinstance(value, str):
                explained = url_problem(value)
                if explained is not None:
                    self.problem(path, *explained)

    def check_milestones(self, moments: dict[str, datetime | None]) -> None:
        previous: str | None = None
        for name in MILESTONES:
            moment = moments[name]
            if moment is None:
                continue
            if previous is not None:
                before = moments[previous]
                assert before is not None
                if moment < before:
                    self.problem(
                        (name,),
                        f"the time in {name} ({excerpt(self.data[name])}) is before {previous} "
                        f"({excerpt(self.data[previous])}, line {self.line_of((previous,))})",
                        "milestones go forward: started_at <= detected_at <= mitigated_at "
                        "<= resolved_at; check the date and the offset",
                    )
            previous = name

    def check_cast(self, cast: list[CastMember]) -> None:
        # Roles that a reader cannot tell apart are the same role: compared after NFKC and
        # with single spaces, so look-alike spellings cannot pass as two characters.
        seen: dict[str, int] = {}
        for index, member in enumerate(cast):
            key = look_alike_key(member.role)
            if key in seen:
                first = cast[seen[key]].role
                same = first == member.role
                self.problem(
                    ("cast", index, "role"),
                    f"the role {quoted(member.role)} is already in the cast "
                    f"(line {self.line_of(('cast', seen[key], 'role'))}"
                    + ("" if same else f": {_spelled(member.role)} and {_spelled(first)} "
                       "look the same") + ")",
                    "give each role its own name, e.g. 'On-Call Engineer (database)'",
                )
            else:
                seen[key] = index

    def scenes(
        self, raw: list[dict[str, Any]], started: Reading | None, cast: list[CastMember]
    ) -> list[Scene]:
        roles = [c.role for c in cast]
        # A scene names its character as the cast does, up to NFC and spacing: the same
        # text to a reader (and on the page).
        role_keys = {same_text_key(role) for role in roles}
        scenes: list[Scene] = []
        previous = started
        previous_index: int | None = None
        for index, scene in enumerate(raw):
            path: FieldPath = ("timeline", index)
            at_text = scene["at"]
            reading: Reading | None
            try:
                bare = parse_bare_time(at_text)
            except ValueError as exc:
                self.problem((*path, "at"), str(exc), "write the time as HH:MM or HH:MM:SS")
                continue
            if bare is not None:
                if previous is None:
                    continue  # started_at is broken and already reported
                # The date and the clock (offset or zone) of the scene before, read on that
                # clock: across a daylight-saving change a bare time gets its own offset.
                reading = self.reading(
                    (*path, "at"),
                    lambda last=previous, bare=bare: on_same_day(last.instant, bare, last.clock),
                    "write the time as HH:MM or HH:MM:SS")
            else:
                reading = self.timestamp((*path, "at"), at_text)
            if reading is None:
                continue
            at = reading.instant
            character = scene["character"]
            if same_text_key(character) not in role_keys:
                hint = did_you_mean(character, roles)
                looks = [r for r in roles if look_alike_key(r) == look_alike_key(character)]
                if looks:
                    hint = (f"it looks like {quoted(looks[0])} but is written with other "
                            "characters (full-width letters or ligatures, say); copy the role "
                            "from the cast")
                if not hint:
                    hint = (
                        f"add '- role: {excerpt(character)}' to cast"
                        if roles
                        else f"add a cast list with '- role: {excerpt(character)}'"
                    )
                self.problem(
                    (*path, "character"),
                    f"the character {quoted(character)} is not in the cast",
                    hint,
                )
            if previous_index is not None and scenes and at < scenes[-1].at:
                before = scenes[-1]
                self.problem(
                    (*path, "at"),
                    f"scene {index + 1} ({excerpt(at_text)}) is earlier than scene "
                    f"{previous_index + 1} ({excerpt(before.at_text)}, "
                    f"line {self.line_of(('timeline', previous_index, 'at'))})",
                    "scenes are written in time order; a bare time never rolls over midnight, "
                    "so write the full date for a scene on a later day",
                )
            scenes.append(
                Scene(
                    number=index + 1,
                    at=at,
                    at_text=at_text,
                    character=scene["character"],
                    action=scene["action"],
                    observation=scene.get("observation"),
                    belief=scene.get("belief"),
                    plot_point=scene.get("plot_point"),
                )
            )
            previous = reading
            previous_index = index
        return scenes

    def action_items(self, raw: list[dict[str, Any]], incident_id: str) -> list[ActionItem]:
        items: list[ActionItem] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            key = item["id"].lower()
            if key in seen:
                first = raw[seen[key]]["id"]
                self.problem(
                    ("action_items", index, "id"),
                    f"the action item id {quoted(item['id'])} is already used by {quoted(first)} "
                    f"(line {self.line_of(('action_items', seen[key], 'id'))})",
                    "give each action item its own id (ids are compared without case)",
                )
            else:
                seen[key] = index
            items.append(
                ActionItem(
                    id=item["id"],
                    title=item["title"],
                    owner=item["owner"],
                    due=self.date(("action_items", index, "due"), item.get("due")),
                    priority=item.get("priority", "P3"),
                    status=item.get("status", "open"),
                    kind=item.get("kind"),
                    tracker=item.get("tracker"),
                    notes=item.get("notes"),
                    incident_id=incident_id,
                    done_on=self.date(("action_items", index, "done_on"), item.get("done_on")),
                )
            )
        return items

    def setting(self, raw: dict[str, Any] | None) -> Setting | None:
        if raw is None:
            return None
        props = [Prop(p["name"], p.get("kind"), p.get("url"), p.get("page"))
                 for p in raw.get("props", [])]
        return Setting(raw.get("environment"), props, list(raw.get("conditions", [])))

    def review(self, raw: dict[str, Any] | None) -> Review | None:
        if raw is None:
            return None
        whys = [Why(w["why"], w["because"]) for w in raw.get("five_whys", [])]
        lists = {k: list(v) for k, v in raw.items() if k != "five_whys"}
        return Review(five_whys=whys, **lists)


def assemble(
    data: dict[str, Any], source: SourceMap, file: str, zone: tzinfo
) -> tuple[Incident | None, list[Problem]]:
    """The incident, or None with the problems that stop it from being published."""
    assembler = _Assembler(data, source, file, zone)
    incident = assembler.build()
    return incident, assembler.problems
