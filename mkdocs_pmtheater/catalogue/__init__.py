"""The catalogue: pages built from all incidents at once.

``pages`` makes the generated files, places them in the navigation and renders
them; ``views`` computes what each page shows; ``metrics`` the medians;
``charts`` draws inline SVG; ``people`` matches names. The browser behaviour
(filtering, facets, sorting, board views) is progressive enhancement in
``assets/pmtheater.js``: every page is complete without JavaScript.
"""

from .pages import Catalogue

__all__ = ["Catalogue"]
