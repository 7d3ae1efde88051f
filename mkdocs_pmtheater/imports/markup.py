"""Slack's message markup ("mrkdwn") to the Markdown of incident files.

Slack stores a message as text with its own markup
(https://api.slack.com/reference/surfaces/formatting): ``<@U123>`` mentions,
``<#C123|name>`` channel links, ``<!here>`` and ``<!subteam^ID|@team>``
broadcasts, ``<https://x|label>`` links, ``*bold*``, ``_italic_``, ``~strike~``,
`` `code` `` and ```` ```blocks``` ````, and the three characters ``<``, ``>``
and ``&`` escaped as ``&lt;``, ``&gt;`` and ``&amp;`` (so a raw ``<`` is always
markup). :func:`slack_to_markdown` rewrites that into Markdown: ``@display name``,
``#channel``, ``[label](url)``, ``**bold**``, ``*italic*``, ``~~strike~~`` (only
when the site has an extension for it, e.g. ``pymdownx.tilde``; otherwise the
``~text~`` stays as typed), code unchanged. Escaped characters come back as
themselves; raw HTML that results is shown as text by the playbill renderer,
which escapes raw HTML. Emoji shortcodes (``:fire:``) stay as text.

Every pattern here is linear: character classes stop at the next delimiter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
_TOKEN = re.compile(r"<([^<>\n]*)>")
_ENTITY = re.compile(r"&(lt|gt|amp);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&"}
_HOLD = re.compile("\x00(\\d+)\x00")
_BOLD = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_\\])_(?=[^\s_])([^_\n]*?[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~\\])~(?=[^\s~])([^~\n]*?[^\s~])~(?![\w~])")
_HEADING = re.compile(r"^([ \t]*)#", re.M)
_LINKABLE = re.compile(r"(?i)^(?:https?://|mailto:)")
# Lone surrogates (JSON can hold them) and U+FFFE/U+FFFF cannot be written as UTF-8 YAML.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """``text`` without the control characters a page cannot show (tabs and newlines stay).

    ``\\r\\n`` becomes ``\\n``; other control characters (U+0000-U+001F but tab and
    newline, U+007F-U+009F, U+2028, U+2029) become spaces, since incident files may
    not contain them; so do lone surrogates and U+FFFE/U+FFFF, which UTF-8 cannot hold.
    """
    return _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def unescape(text: str) -> str:
    """Slack's three entities back to characters, in one pass (``&amp;lt;`` is ``&lt;``)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _url(url: str) -> str:
    # Characters that would end a Markdown link destination early.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _label(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


class SlackMarkup:
    """Converts Slack message text with the workspace's names.

    ``users`` maps user ids (``U123``) to the name to show after ``@``; ``channels``
    maps channel ids to channel names. ``strike`` says whether the site renders
    ``~~text~~`` as struck-through text.
    """

    def __init__(self, users: Mapping[str, str], channels: Mapping[str, str],
                 *, strike: bool = False) -> None:
        self.users = users
        self.channels = channels
        self.strike = strike

    def token(self, inner: str, *, in_code: bool = False) -> str:
        """Markdown for one ``<...>`` token (its inside given without the brackets)."""
        target, _, label = inner.partition("|")
        label = unescape(label)
        if target.startswith("@"):
            user = target[1:]
            return "@" + self.users.get(user, label.lstrip("@") or user)
        if target.startswith("#"):
            channel = target[1:]
            return "#" + self.channels.get(channel, label.lstrip("#") or channel)
        if target.startswith("!"):
            command = target[1:]
            if command in ("here", "channel", "everyone"):
                return "@" + command
            if label:  # <!subteam^ID|@team>, <!date^...|fallback>
                return label if label.startswith("@") or not command.startswith(
                    "subteam") else "@" + label
            return "@" + command.split("^", 1)[-1]
        url = unescape(target)
        if in_code:
            return url
        if not _LINKABLE.match(url):
            return label or url  # tel:, slack://, ...: the words, not a link
        if label and label != url:
            return f"[{_label(label)}]({_url(url)})"
        if url.lower().startswith(("http://", "https://")) and " " not in url:
            return f"<{url}>"
        return f"[{_label(url)}]({_url(url)})"

    def _prose(self, text: str) -> str:
        held: list[str] = []

        def hold(match: re.Match[str]) -> str:
            held.append(self.token(match.group(1)))
            return f"\x00{len(held) - 1}\x00"

        text = _TOKEN.sub(hold, text)
        text = _BOLD.sub(r"**\1**", text)
        text = _ITALIC.sub(r"*\1*", text)
        if self.strike:
            text = _STRIKE.sub(r"~~\1~~", text)
        text = unescape(text)
        # A '#' opening a line would make a heading; in Slack it is just a character.
        text = _HEADING.sub(r"\1\\#", text)
        return _HOLD.sub(lambda m: held[int(m.group(1))], text)

    def _code(self, text: str) -> str:
        return unescape(_TOKEN.sub(lambda m: self.token(m.group(1), in_code=True), text))

    def convert(self, text: str) -> str:
        """Markdown for Slack ``text`` (control characters removed, ends stripped)."""
        text = clean_text(text).replace("\x00", " ")
        out: list[str] = []
        start = 0
        for match in _CODE.finditer(text):
            out.append(self._prose(text[start:match.start()]))
            out.append(self._code(match.group(0)))
            start = match.end()
        out.append(self._prose(text[start:]))
        return "".join(out).strip()


def slack_to_markdown(text: str, users: Mapping[str, str] | None = None,
                      channels: Mapping[str, str] | None = None, *,
                      strike: bool = False) -> str:
    """Markdown for one Slack message text; see :class:`SlackMarkup`."""
    return SlackMarkup(users or {}, channels or {}, strike=strike).convert(text)

