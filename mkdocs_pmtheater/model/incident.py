"""The incident model: plain typed classes, built once per build from valid files.

Text fields hold exactly what the author wrote; rendering (Markdown, escaping)
happens later, in one place. Times are aware datetimes (the loader gives them
fixed offsets); durations are always taken between real instants (see
``timestamps.elapsed``), whatever ``tzinfo`` a caller attached. A time written as a
date alone (format 1.1: "that day, time unknown") is the start of that day in the
incident's zone, flagged ``day_only`` so that nothing shows or counts it as
00:00, and a time written with ``~`` is flagged ``approximate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo

from .timestamps import elapsed, format_days, format_duration

_UTC = timezone.utc  # the Incident field named ``timezone`` shadows the module in its body
SEVERITY_DEFAULT = ("SEV1", "SEV2", "SEV3", "SEV4", "SEV5")
OPEN_STATUSES = ("open", "in-progress", "blocked")
CLOSED_STATUSES = ("done", "wont-do")


@dataclass
class CastMember:
    role: str
    actor: str | None = None
    notes: str | None = None


@dataclass
class Scene:
    number: int
    """1-based position in the timeline; the positional anchor is ``scene-<number>``."""
    at: datetime
    at_text: str
    """The time as written in the file."""
    characters: list[str]
    """Cast roles: one (v1), several (a joint action) or none (narration)."""
    action: str
    observation: str | None = None
    belief: str | None = None
    plot_point: str | None = None
    id: str | None = None
    """Optional stable id (1.1): the scene is also at ``#scene-<id>``."""
    approximate: bool = False
    day_only: bool = False

    @property
    def anchor(self) -> str:
        """The scene's main anchor: ``scene-<id>`` when it has an id, else ``scene-<number>``."""
        return f"scene-{self.id}" if self.id else f"scene-{self.number}"

    @property
    def positional_anchor(self) -> str:
        return f"scene-{self.number}"

    @property
    def character(self) -> str:
        """The roles as one line ("A and B"); empty for narration."""
        return " and ".join(self.characters)

    @property
    def is_narration(self) -> bool:
        return not self.characters


@dataclass
class Milestone:
    """An extra moment (1.1 ``milestones``), shown with the four fixed ones."""

    at: datetime
    at_text: str
    name: str
    note: str | None = None
    approximate: bool = False
    day_only: bool = False


@dataclass
class Prop:
    name: str
    kind: str | None = None
    url: str | None = None
    page: str | None = None
    """Path relative to docs_dir, as written."""


@dataclass
class Setting:
    environment: str | None = None
    props: list[Prop] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)


@dataclass
class Plot:
    lead_up: str | None = None
    climax: str | None = None
    turning_point: str | None = None
    resolution: str | None = None

    def points(self) -> list[tuple[str, str, str]]:
        """(key, heading, text) for the points that are written."""
        names = (
            ("lead_up", "Lead-up"),
            ("climax", "Climax"),
            ("turning_point", "Turning point"),
            ("resolution", "Resolution"),
        )
        return [(k, title, getattr(self, k)) for k, title in names if getattr(self, k)]


@dataclass
class Why:
    why: str
    because: str


REVIEW_PROMPTS = (
    ("went_well", "What went well?"),
    ("got_lucky", "Where did we get lucky?"),
    ("could_improve", "What could have been more successful?"),
    ("detection", "How did we not detect this sooner?"),
    ("process", "Why did our process allow this?"),
)


@dataclass
class Review:
    went_well: list[str] = field(default_factory=list)
    got_lucky: list[str] = field(default_factory=list)
    could_improve: list[str] = field(default_factory=list)
    detection: list[str] = field(default_factory=list)
    process: list[str] = field(default_factory=list)
    five_whys: list[Why] = field(default_factory=list)
    root_causes: list[str] = field(default_factory=list)
    contributing_factors: list[str] = field(default_factory=list)

    def prompts(self) -> list[tuple[str, str, list[str]]]:
        """(key, question, answers) for the blameless prompts that were answered."""
        return [(k, q, getattr(self, k)) for k, q in REVIEW_PROMPTS if getattr(self, k)]


@dataclass
class ActionItem:
    id: str
    title: str
    owner: str
    due: date | None = None
    priority: str = "P3"
    status: str = "open"
    kind: str | None = None
    tracker: str | None = None
    notes: str | None = None
    incident_id: str = ""
    done_on: date | None = None
    """When it was done (optional): follow-through counts "done by the due date" from it."""

    @property
    def anchor(self) -> str:
        """The item's anchor on the playbill: its id in lower case, with ``ai-`` in front
        unless it starts with that (``AI-2`` -> ``ai-2``, ``search`` -> ``ai-search``), so an
        item never takes an id of the page (``impact``, ``call-sheet``, ``scene-1``)."""
        anchor = self.id.lower()
        return anchor if anchor.startswith("ai-") else f"ai-{anchor}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due is not None and self.due < today


@dataclass
class Award:
    award: str
    recipient: str
    citation: str | None = None


@dataclass
class Incident:
    id: str
    title: str
    severity: str
    started_at: datetime
    summary: str
    source: str
    """Path of the YAML file relative to docs_dir (forward slashes)."""
    status: str = "published"
    detected_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    services: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    impact: str | None = None
    director: str | None = None
    review_date: date | None = None
    cast: list[CastMember] = field(default_factory=list)
    timeline: list[Scene] = field(default_factory=list)
    setting: Setting | None = None
    plot: Plot | None = None
    review: Review | None = None
    action_items: list[ActionItem] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)
    timezone: str | None = None
    """The IANA zone the file names (1.1 ``timezone``), or None for the site's zone."""
    zone: tzinfo = _UTC
    """The zone the incident is told in: its own ``timezone``, else the site's."""
    milestones: list[Milestone] = field(default_factory=list)
    approximate: frozenset[str] = frozenset()
    """Names of the fixed milestones (``started_at``...) written with ``~``."""
    day_only: frozenset[str] = frozenset()
    """Names of the fixed milestones written as a date alone."""

    @property
    def slug(self) -> str:
        return self.id.lower()

    @property
    def start_day(self) -> date:
        """The day impact began, in the incident's zone: catalogue pages date it by this."""
        return self.started_at.astimezone(self.zone).date()

    @property
    def detected_before_impact(self) -> bool:
        """Warning signs came before users felt it (1.1 allows detected_at < started_at)."""
        return self.detected_at is not None and self.detected_at < self.started_at

    def moment(self, name: str) -> datetime | None:
        """``started_at``, ``detected_at``, ``mitigated_at`` or ``resolved_at``."""
        return getattr(self, name)  # type: ignore[no-any-return]

    def is_approximate(self, name: str) -> bool:
        return name in self.approximate

    def is_day_only(self, name: str) -> bool:
        return name in self.day_only

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def since_start(self, name: str) -> timedelta | None:
        """Time from the start of impact to a fixed milestone, or None when not written.

        When either end is a date alone, the time of day is unknown: the span
        is counted in whole days (calendar days in the incident's zone).
        """
        moment = self.moment(name)
        if moment is None:
            return None
        if name in self.day_only or "started_at" in self.day_only:
            return timedelta(days=(self._local_day(moment) - self._local_day(self.started_at)).days)
        return elapsed(self.started_at, moment)

    def since_start_text(self, name: str) -> str:
        """The span as shown: exact to the minute, ``≈`` when an end is approximate, and
        ``≈ N d`` when an end is a date alone; empty when the milestone is not written."""
        delta = self.since_start(name)
        if delta is None:
            return ""
        if name in self.day_only or "started_at" in self.day_only:
            if delta < timedelta(0):
                return format_days(-delta.days) + " before impact"
            return format_days(delta.days)
        approximate = name in self.approximate or "started_at" in self.approximate
        if delta < timedelta(0):  # detected before impact (1.1)
            text = format_duration(-delta) + " before impact"
        else:
            text = format_duration(delta)
        return "≈ " + text if approximate else text

    @property
    def time_to_detect(self) -> timedelta | None:
        return self.since_start("detected_at")

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self.since_start("mitigated_at")

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.since_start("resolved_at")

    @property
    def open_action_items(self) -> list[ActionItem]:
        return [item for item in self.action_items if item.is_open]

    def action_item(self, item_id: str) -> ActionItem | None:
        """The item with this id (compared without case) or this anchor; None if none."""
        wanted = item_id.lower()
        return next((i for i in self.action_items if wanted in (i.id.lower(), i.anchor)),
                    None)
