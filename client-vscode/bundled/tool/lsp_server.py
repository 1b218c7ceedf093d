"""Starts ``sadpath server`` from the libraries bundled with the extension (bundled/libs)."""

import os
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
if os.path.isdir(LIBS):
    sys.path.insert(0, LIBS)

try:
    from sadpath.lsp.server import main
except ImportError as exc:  # a broken bundle or an interpreter the bundle was not built for
    sys.stderr.write(f"sadpath: cannot import the bundled server from {LIBS}: {exc}\n")
    sys.exit(2)

sys.exit(main(sys.argv[1:]))
