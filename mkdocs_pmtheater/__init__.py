"""mkdocs-pmtheater: Incident Post-Mortem Theater for MkDocs."""

__version__ = "0.1.0"
