"""``python -m sadpath.lsp [--tcp HOST:PORT]``."""

import sys

from sadpath.lsp.server import main

sys.exit(main(sys.argv[1:]))
