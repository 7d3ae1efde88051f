"""Turn one schema-valid mapping into an :class:`Incident`, checking what a schema cannot.

The schema has already vouched for keys and types. What is left needs the
values themselves: real dates, times in order, characters that are in the
cast, ids that are unique within the file, a real ``timezone``.

Format 1.1 readings: ``~`` marks a time approximate (ordered as written); a
date alone is a day with an unknown time, ordered against timed moments by its
date in the incident's zone; ``detected_at`` may come before ``started_at``.
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
    Milestone,
    Plot,
    Prop,
    Review,
    Scene,
    Setting,
    Why,
)
from ..model.problems import FieldPath, Problem, did_you_mean, excerpt, format_path, quoted
from ..model.timestamps import (
    Reading,
    TimeError,
    is_date_only,
    on_same_day,
    parse_bare_time,
    parse_date,
    read_timestamp,
    site_zone,
    split_approximate,
)
from .urlcheck import url_problem
from .yamlsource import SourceMap

MILESTONES = ("started_at", "detected_at", "mitigated_at", "resolved_at")
ORDER_RULES = (
    ("started_at", "mitigated_at"),
    ("started_at", "resolved_at"),
    ("mitigated_at", "resolved_at"),
    ("detected_at", "mitigated_at"),
    ("detected_at", "resolved_at"),
)
"""(earlier, later) pairs that must not go backwards. detected_at may precede
started_at (1.1: warning signs before impact); detected_at <= resolved_at is the
v1 chain's rule when mitigated_at is left out."""


def _earlier(a: datetime, a_day: bool, b: datetime, b_day: bool, zone: tzinfo) -> bool:
    """Whether ``a`` is strictly before ``b``; a day-only side compares by its date."""
    if a_day or b_day:
        return a.astimezone(zone).date() < b.astimezone(zone).date()
    return a < b


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
        except TimeError as exc:  # a time the zone skips, a zone abbreviation, ...
            self.problem(path, str(exc), exc.hint or hint)
            return None
        except ValueError as exc:
            self.problem(path, str(exc), hint)
            return None
        if reading.ambiguity is not None:
            self.problem(path, *reading.ambiguity, blocking=False)
        return reading

    def timestamp(self, path: FieldPath, text: str) -> Reading | None:
        return self.reading(path, lambda: read_timestamp(text, self.zone),
                            "write it as 2024-03-14T14:02:00Z, a date alone (2024-03-14) when "
                            "the time is unknown, or with a leading ~ when it is approximate")

    def incident_zone(self) -> tzinfo:
        """The file's ``timezone`` (reported when unknown), else the site's zone."""
        name = self.data.get("timezone")
        if not isinstance(name, str):
            return self.zone
        try:
            return site_zone(name)
        except ValueError as exc:
            self.problem(("timezone",), str(exc),
                         "use an IANA zone name such as Asia/Tokyo, Europe/Berlin or "
                         "America/Los_Angeles (not an abbreviation such as JST)")
            return self.zone

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
        self.zone = self.incident_zone()
        readings: dict[str, Reading | None] = {}
        approximate: set[str] = set()
        day_only: set[str] = set()
        for name in MILESTONES:
            readings[name] = self.timestamp((name,), d[name]) if name in d else None
            if name in d:
                if split_approximate(d[name])[1]:
                    approximate.add(name)
                if is_date_only(d[name]):
                    day_only.add(name)
        self.day_only = day_only
        moments = {name: r.instant if r else None for name, r in readings.items()}
        self.check_milestones(moments)
        started = moments["started_at"]
        cast = [CastMember(c["role"], c.get("actor"), c.get("notes")) for c in d.get("cast", [])]
        self.check_cast(cast)
        timeline = self.scenes(d.get("timeline", []), readings["started_at"], cast)
        milestones = self.extra_milestones(d.get("milestones", []))
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
            timezone=d.get("timezone"),
            zone=self.zone,
            milestones=milestones,
            approximate=frozenset(approximate),
            day_only=frozenset(day_only),
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
        reported: set[str] = set()
        for first, later in ORDER_RULES:
            before, moment = moments[first], moments[later]
            if before is None or moment is None or later in reported:
                continue
            if _earlier(moment, later in self.day_only, before, first in self.day_only,
                        self.zone):
                reported.add(later)
                self.problem(
                    (later,),
                    f"the time in {later} ({excerpt(self.data[later])}) is before {first} "
                    f"({excerpt(self.data[first])}, line {self.line_of((first,))})",
                    "milestones go forward: started_at <= mitigated_at <= resolved_at, and "
                    "detected_at <= mitigated_at (detected_at may come before started_at); "
                    "check the date and the offset",
                )

    def extra_milestones(self, raw: list[dict[str, Any]]) -> list[Milestone]:
        """The 1.1 ``milestones`` list: any moments, in any order (shown sorted)."""
        out: list[Milestone] = []
        for index, entry in enumerate(raw):
            text = entry["at"]
            reading = self.timestamp(("milestones", index, "at"), text)
            if reading is None:
                continue
            out.append(Milestone(reading.instant, text, entry["name"], entry.get("note"),
                                 split_approximate(text)[1], is_date_only(text)))
        return out

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
        last_timed: Scene | None = None
        ids: dict[str, int] = {}
        for index, scene in enumerate(raw):
            path: FieldPath = ("timeline", index)
            at_text = scene["at"]
            approximate = split_approximate(at_text)[1]
            day_only = is_date_only(at_text)
            reading: Reading | None
            try:
                bare = parse_bare_time(at_text)
            except ValueError as exc:
                self.problem((*path, "at"), str(exc),
                             "write the time as HH:MM or HH:MM:SS (with a leading ~ if it "
                             "is approximate)")
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
            characters = self.scene_characters(scene.get("character"), path, roles, role_keys)
            scene_id = scene.get("id")
            if isinstance(scene_id, str):
                if scene_id in ids:
                    line = self.line_of(("timeline", ids[scene_id], "id"))
                    self.problem(
                        (*path, "id"),
                        f"the scene id {quoted(scene_id)} is already used by scene "
                        f"{ids[scene_id] + 1} (line {line})",
                        "give each scene its own id, or leave the id out",
                    )
                else:
                    ids[scene_id] = index
            # In order with the scene before (by date when either is day-only) and with the
            # last timed scene: a day-only scene sits anywhere in its day.
            checks = [scenes[-1]] if scenes else []
            if last_timed is not None and not day_only and scenes and last_timed is not scenes[-1]:
                checks.append(last_timed)
            for before in checks:
                if _earlier(at, day_only, before.at, before.day_only, self.zone):
                    line = self.line_of(("timeline", before.number - 1, "at"))
                    self.problem(
                        (*path, "at"),
                        f"scene {index + 1} ({excerpt(at_text)}) is earlier than scene "
                        f"{before.number} ({excerpt(before.at_text)}, line {line})",
                        "scenes are written in time order; a bare time never rolls over midnight, "
                        "so write the full date for a scene on a later day",
                    )
                    break
            made = Scene(
                number=index + 1,
                at=at,
                at_text=at_text,
                characters=characters,
                action=scene["action"],
                observation=scene.get("observation"),
                belief=scene.get("belief"),
                plot_point=scene.get("plot_point"),
                id=scene_id if isinstance(scene_id, str) else None,
                approximate=approximate,
                day_only=day_only,
            )
            scenes.append(made)
            if not day_only:
                last_timed = made
            previous = reading
        return scenes

    def scene_characters(
        self, written: str | list[str] | None, path: FieldPath, roles: list[str],
        role_keys: set[str],
    ) -> list[str]:
        """The scene's roles: none (narration), one, or a list (a joint action), each in
        the cast."""
        if written is None:
            return []
        names = [written] if isinstance(written, str) else list(written)
        where = [(*path, "character")] if isinstance(written, str) else [
            (*path, "character", i) for i in range(len(names))]
        seen: set[str] = set()
        for character, at in zip(names, where, strict=True):
            if same_text_key(character) in seen:
                self.problem(at, f"the character {quoted(character)} is named twice in this "
                             "scene", "name each role once")
            seen.add(same_text_key(character))
            if same_text_key(character) in role_keys:
                continue
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
                ) + ", or leave 'character' out for narration (the world, a third party)"
            self.problem(at, f"the character {quoted(character)} is not in the cast", hint)
        return names

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
