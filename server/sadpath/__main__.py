"""Entry point for ``python -m sadpath``."""

import sys

from sadpath.cli import main

sys.exit(main())
