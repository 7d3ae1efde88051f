"""Importers: first drafts of a timeline from chat (a Slack export, a pasted log).

The modules here are the core, free of MkDocs: ``markup`` turns Slack's markup into
Markdown, ``slack`` and ``text`` read chat into speakers and messages, ``cast`` maps
speakers to cast roles, and ``merge`` writes scenes as YAML or inserts them into an
incident file without touching anything else. ``cli/import_cmd.py`` is the adapter.
"""

from __future__ import annotations


class ImportFailure(Exception):
    """The input cannot be imported; the message names the file and says what to do.

    The command prints it and exits with status 2, having written nothing.
    """
