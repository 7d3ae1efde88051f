"""The incident JSON Schema, and its errors turned into problems a person can act on.

The schema file at the top of the repository (``schemas/incident.schema.json``)
is the one source of truth: the package carries that same file and validates
against it, adjusting only the list of severity levels when a site configures
its own.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from datetime import timezone
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:  # jsonschema is imported when a file fails the fast check: it costs
    # a tenth of a second, a tenth of `pmtheater validate FILE`'s budget
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from ..model.problems import Problem, did_you_mean, excerpt, format_path, quoted
from ..model.timestamps import (
    parse_bare_time,
    parse_date,
    parse_timestamp,
    zone_abbreviation_error,
)
from .urlcheck import url_problem
from .yamlsource import SourceMap

SCHEMA_FILE = "incident.schema.json"


@cache
def schema_text() -> str:
    """The schema exactly as shipped (for ``pmtheater schema`` and the published copy)."""
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def load_schema(severities: Sequence[str] | None = None) -> dict[str, Any]:
    """The schema as a fresh dict, with the site's severity levels when given."""
    schema = copy.deepcopy(_parsed_schema())
    if severities:
        schema["properties"]["severity"]["enum"] = list(severities)
    return schema


@cache
def _parsed_schema() -> dict[str, Any]:
    return json.loads(schema_text())


@cache
def _validator(severities: tuple[str, ...]) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(severities))


@cache
def _fast_check(severities: tuple[str, ...]) -> Callable[[Any], Any]:
    # fastjsonschema compiles the schema to Python and is ~25x faster than
    # jsonschema, but stops at the first error without a usable path; it only
    # answers "valid?" for the common case, and jsonschema explains the rest.
    return fastjsonschema.compile(load_schema(severities))


def schema_errors(
    data: Any, source: SourceMap, file: str, severities: Sequence[str]
) -> list[Problem]:
    """Every schema violation in ``data``, one problem each, with its line."""
    key = tuple(severities)
    try:
        _fast_check(key)(data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    problems: list[Problem] = []
    for error in _validator(key).iter_errors(data):
        problems.extend(_explain(error, source, file))
    return problems


def _subschema_for(path: Sequence[str | int]) -> dict[str, Any]:
    """The (dereferenced) schema that describes the value at ``path``."""
    root = _parsed_schema()
    node: dict[str, Any] = root
    for part in path:
        node = _deref(root, node)
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return _deref(root, node)


def _deref(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        merged = {k: v for k, v in node.items() if k != "$ref"}
        node = {**root["$defs"][name], **merged}
    return node


_TYPE_WORDS = {
    "string": "text",
    "array": "a list",
    "object": "a mapping of keys",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _describe(value: Any, written: str | None = None) -> str:
    """What YAML made of a value; with ``written`` (the scalar as the file spells it), say
    so when that reads differently (``012`` is the number 10, ``on`` the boolean true)."""
    if value is None:
        if written and written != "~" and written.lower() != "null":
            return f"nothing ({quoted(written)} is YAML's empty value)"
        return "nothing (an empty value)"
    if isinstance(value, bool):
        shown = str(value).lower()
        if written is not None and written.lower() != shown:
            return f"the boolean {shown} (YAML 1.1 reads {quoted(written)} as {shown})"
        return f"the boolean {shown}"
    if isinstance(value, int | float):
        if written is not None and written != str(value):
            return f"the number {excerpt(value)} (YAML reads {quoted(written)} as that number)"
        return f"the number {excerpt(value)}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _explain(error: ValidationError, source: SourceMap, file: str) -> list[Problem]:
    path = tuple(error.absolute_path)
    field = format_path(path)
    key = path[-1] if path else None
    validator = error.validator
    instance = error.instance

    def at(p: Sequence[str | int] = path, *, key: bool = False) -> tuple[int, int]:
        return source.locate(tuple(p), key=key)

    def problem(message: str, hint: str = "", where: tuple[int, int] | None = None,
                name: str | None = None) -> Problem:
        line, column = where or at()
        return Problem(file, line, column, field if name is None else name, message, hint)

    if validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [k for k in instance if k not in allowed]
        out = []
        for extra in extras:
            hint = did_you_mean(str(extra), allowed) or ""
            known = ", ".join(allowed)
            out.append(
                Problem(
                    file,
                    *at((*path, extra), key=True),
                    format_path((*path, extra)),
                    f"unknown key {quoted(extra)}",
                    hint or f"the keys allowed here are: {known}",
                )
            )
        return out
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.message)
        if missing == "due" and error.schema.get("required") == ["due"]:
            return [
                problem(
                    "an open action item needs a due date",
                    "add 'due: YYYY-MM-DD', or set 'status: done' or 'status: wont-do'",
                    name=format_path((*path, "due")),
                )
            ]
        sub = _subschema_for((*path, missing))
        what = sub.get("description", "").split(". ")[0].rstrip(".")
        what = what[:1].lower() + what[1:]
        return [
            problem(
                f"the required key '{missing}' is missing",
                f"add '{missing}: ...'" + (f": {what}" if what else ""),
                name=format_path((*path, missing)),
            )
        ]
    if validator == "type":
        expected = error.validator_value
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in (
            expected if isinstance(expected, list) else [expected]))
        hint = ""
        # Quote what the author wrote, not what YAML made of it: 'id: 012' must become
        # 'id: "012"', not the '"10"' of YAML 1.1's octal reading.
        written = source.texts.get(path)
        if expected == "string" and isinstance(instance, int | float | bool):
            text = _double_quoted(written if written is not None else _yaml_text(instance))
            hint = f"put the value in quotes, e.g. {key}: {text}"
            if isinstance(key, int):  # an entry of a list
                hint = f"put the value in quotes, e.g. - {text}"
        elif expected == "string" and instance is None and written:
            hint = f"put the value in quotes if you meant the text, e.g. {key}: " + (
                _double_quoted(written))
        elif expected == "string" and instance is None:
            hint = "write a value after the colon, or remove the key"
        elif expected == "array" and not isinstance(instance, list):
            hint = f"write a list, one '- item' per line under '{key}:'"
        elif expected == "object":
            hint = f"write '{key}' as a mapping of keys, one 'name: value' per line"
        return [problem(f"expected {words}, got {_describe(instance, written)}", hint)]
    if validator == "enum":
        choices = [str(c) for c in error.validator_value]
        hint = did_you_mean(str(instance), choices)
        listing = ", ".join(choices)
        return [
            problem(
                f"{quoted(instance)} is not one of: {listing}",
                hint or f"use one of: {listing}",
            )
        ]
    if validator == "pattern":
        return [problem(*_pattern_message(path, instance, str(error.validator_value)))]
    if validator == "anyOf" and key == "at":
        zone_word = zone_abbreviation_error(str(instance))
        if zone_word is not None:
            return [problem(str(zone_word), zone_word.hint)]
        reason = _time_reason(instance)
        return [
            problem(
                reason or f"{quoted(instance)} is not a time",
                "write a full timestamp such as 2024-03-14T14:02:00Z, a date alone when the "
                "time is unknown, or a bare time such as \"14:02\" (in quotes) on the date of "
                "the scene before; a leading ~ marks it approximate",
            )
        ]
    if validator == "anyOf" and (key == "character" or (
            len(path) >= 2 and path[-2] == "character")):
        return [
            problem(
                f"{quoted(instance)} is not a character: expected the role of a cast "
                "member, or a list of roles",
                "write 'character: On-Call Engineer', or 'character: [Team A, Team B]' for a "
                "joint action; leave it out for narration",
            )
        ]
    if validator == "maxItems":
        return [
            problem(
                f"the list has {len(instance):,} entries; at most {error.validator_value:,} "
                "are allowed",
                "keep the post-mortem to what matters and link to the full log",
            )
        ]
    # jsonschema's own message quotes the value with repr(): keep it short.
    return [problem(excerpt(error.message, 200))]


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _double_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON strings are), shortened for a hint."""
    return excerpt(json.dumps(text, ensure_ascii=False), 80)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def _shown(value: Any, limit: int = 60) -> str:
    """A value quoted in a message: see :func:`excerpt`."""
    return excerpt(value, limit)


def _time_reason(value: Any) -> str:
    """Why a value shaped like a time (``25:61``) or a timestamp is not a real one."""
    text = str(value)
    for parse in (parse_bare_time, lambda t: parse_timestamp(t, timezone.utc)):
        try:
            parse(text)
        except ValueError as exc:
            if "is not a timestamp" not in str(exc):
                return _shown(str(exc), 200)
    return ""


def _text_pattern() -> str:
    return str(_parsed_schema()["$defs"]["markdown"]["pattern"])


def _pattern_message(path: tuple[str | int, ...], value: Any, pattern: str) -> tuple[str, str]:
    key = path[-1] if path else ""
    text = _shown(value)
    defs = _parsed_schema()["$defs"]
    if pattern == _text_pattern():
        bad = _CONTROL.search(str(value))
        if bad:
            return (
                f"the text holds the control character U+{ord(bad.group()):04X}, "
                "which a web page cannot show",
                "delete it (most editors do not show it)",
            )
        return ("the value is empty", "write some text, or remove the key")
    if key == "id" and len(path) == 3 and path[0] == "timeline":
        return (
            f"'{text}' is not a valid scene id: it becomes the anchor #scene-<id>",
            "use 1 to 64 lower-case letters, digits or '-', starting with a letter or digit, "
            "e.g. rollback-starts",
        )
    if key == "id":
        return (
            f"'{text}' is not a valid id: ids become page addresses and anchors",
            "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, "
            "e.g. INC-2024-031",
        )
    if key in ("url", "tracker") and isinstance(value, str):
        explained = url_problem(value)
        if explained is not None:
            return explained
    if key in ("url", "tracker"):
        return (
            f"'{text}' is not a link this site will publish",
            "use an http:// or https:// address (or mailto:, or a path starting with '/')",
        )
    if key == "timezone":
        return (
            f"'{text}' is not a time zone name",
            "use an IANA zone name such as Asia/Tokyo, Europe/Berlin or America/Los_Angeles",
        )
    if pattern == defs["timestamp"]["pattern"]:
        zone_word = zone_abbreviation_error(str(value))
        if zone_word is not None:
            return (str(zone_word), zone_word.hint)
        return (
            _time_reason(value) or f"'{text}' is not a timestamp (years 1900 to 2999)",
            "write it as 2024-03-14T14:02:00Z or 2024-03-14 14:02:00+01:00 "
            "(without an offset, the incident's timezone or else the site's applies), "
            "a date alone when the time is unknown, with a leading ~ when approximate",
        )
    if pattern == defs["date"]["pattern"]:
        try:
            parse_date(str(value))
            reason = f"'{text}' is not a date (years 1900 to 2999)"
        except ValueError as exc:
            reason = _shown(str(exc), 200)
        return (reason, "write it as YYYY-MM-DD, e.g. 2024-11-30")
    return (f"'{text}' does not match the pattern {pattern}", "")
