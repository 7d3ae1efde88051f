"""``python -m mkdocs_pmtheater.cli``: the ``pmtheater`` command without its console script."""

import sys

from .main import main

sys.exit(main())
