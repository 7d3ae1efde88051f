"""Turn one schema-valid mapping into an :class:`Incident`, checking what a schema cannot.

The schema has already vouched for keys and types. What is left needs the
values themselves: real dates, times in order, characters that are in the
cast, ids that are unique within the file.
"""

from __future__ import annotations

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
from ..model.problems import FieldPath, Problem, did_you_mean, format_path
from ..model.timestamps import on_same_day, parse_bare_time, parse_date, parse_timestamp
from .yamlsource import SourceMap

MILESTONES = ("started_at", "detected_at", "mitigated_at", "resolved_at")


class _Assembler:
    def __init__(self, data: dict[str, Any], source: SourceMap, file: str, zone: tzinfo) -> None:
        self.data = data
        self.source = source
        self.file = file
        self.zone = zone
        self.problems: list[Problem] = []

    def problem(self, path: FieldPath, message: str, hint: str = "", *, key: bool = False) -> None:
        line, column = self.source.locate(path, key=key)
        self.problems.append(Problem(self.file, line, column, format_path(path), message, hint))

    def line_of(self, path: FieldPath) -> int:
        return self.source.locate(path)[0]

    def timestamp(self, path: FieldPath, text: str) -> datetime | None:
        try:
            return parse_timestamp(text, self.zone)
        except ValueError as exc:
            self.problem(path, str(exc), "write it as 2024-03-14T14:02:00Z")
            return None

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
        moments: dict[str, datetime | None] = {}
        for name in MILESTONES:
            moments[name] = self.timestamp((name,), d[name]) if name in d else None
        self.check_milestones(moments)
        started = moments["started_at"]
        cast = [CastMember(c["role"], c.get("actor"), c.get("notes")) for c in d.get("cast", [])]
        self.check_cast(cast)
        timeline = self.scenes(d.get("timeline", []), started, cast)
        items = self.action_items(d.get("action_items", []), d.get("id", ""))
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
        return None if self.problems else incident

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
                        f"the time in {name} ({self.data[name]}) is before {previous} "
                        f"({self.data[previous]}, line {self.line_of((previous,))})",
                        "milestones go forward: started_at <= detected_at <= mitigated_at "
                        "<= resolved_at; check the date and the offset",
                    )
            previous = name

    def check_cast(self, cast: list[CastMember]) -> None:
        seen: dict[str, int] = {}
        for index, member in enumerate(cast):
            if member.role in seen:
                self.problem(
                    ("cast", index, "role"),
                    f"the role '{member.role}' is already in the cast "
                    f"(line {self.line_of(('cast', seen[member.role], 'role'))})",
                    "give each role its own name, e.g. 'On-Call Engineer (database)'",
                )
            else:
                seen[member.role] = index

    def scenes(
        self, raw: list[dict[str, Any]], started: datetime | None, cast: list[CastMember]
    ) -> list[Scene]:
        roles = [c.role for c in cast]
        scenes: list[Scene] = []
        previous_at = started
        previous_index: int | None = None
        for index, scene in enumerate(raw):
            path: FieldPath = ("timeline", index)
            at_text = scene["at"]
            at: datetime | None
            try:
                bare = parse_bare_time(at_text)
            except ValueError as exc:
                self.problem((*path, "at"), str(exc), "write the time as HH:MM or HH:MM:SS")
                continue
            if bare is not None:
                if previous_at is None:
                    continue  # started_at is broken and already reported
                at = on_same_day(previous_at, bare)
            else:
                at = self.timestamp((*path, "at"), at_text)
                if at is None:
                    continue
            if scene["character"] not in roles:
                hint = did_you_mean(scene["character"], roles)
                if not hint:
                    hint = (
                        f"add '- role: {scene['character']}' to cast"
                        if roles
                        else f"add a cast list with '- role: {scene['character']}'"
                    )
                self.problem(
                    (*path, "character"),
                    f"the character '{scene['character']}' is not in the cast",
                    hint,
                )
            if previous_index is not None and scenes and at < scenes[-1].at:
                before = scenes[-1]
                self.problem(
                    (*path, "at"),
                    f"scene {index + 1} ({at_text}) is earlier than scene {previous_index + 1} "
                    f"({before.at_text}, line {self.line_of(('timeline', previous_index, 'at'))})",
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
            previous_at = at
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
                    f"the action item id '{item['id']}' is already used by '{first}' "
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
