"""mkdocs-pmtheater: Incident Post-Mortem Theater for MkDocs, ProperDocs and Zensical.

The package is a core that knows nothing of any site generator, in folders by
stage, and thin adapters around it:

``load/``
    incident files to the model: the safe YAML reader with positions, the
    JSON Schema and its advice, the checks a schema cannot make, the checks
    across files (:class:`load.loader.IncidentLoader`).
``model/``
    the incident as typed classes, problems (file, line, column, field, hint),
    times and durations, the site's options.
``render/``
    incident Markdown (sanitised) and the playbill page from templates.
``catalogue/``
    pages built from all incidents: index, action-item board, hall of fame,
    metrics, and the aggregates behind them.
``publish/``
    one build's output (:class:`publish.production.Production`): which pages
    and data files (``incidents.json``, iCalendar, Atom, schema) a site gets,
    and where they live.
``links/``
    ``incident:`` links and links to incident files, resolved and checked.
``imports/``
    timelines from chat exports (``pmtheater import``).

Adapters: ``plugin/`` (the MkDocs plugin, for MkDocs 1.6 and ProperDocs),
``zensical/`` (``pmtheater render`` writes the pages as Markdown for
Zensical, and the ``pmtheater`` Python-Markdown extension) and ``cli/`` (the
``pmtheater`` command). Only the adapters import ``mkdocs``;
``tests/test_layout.py`` holds the core to that.
"""

__version__ = "0.1.0"
