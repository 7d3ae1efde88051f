"""``python -m mkdocs_pmtheater.cli``: the ``pmtheater`` command."""

import sys

from .main import main

sys.exit(main())
