"""Starts ``sadpath server``: from the libraries bundled with the extension (bundled/libs), or with
``--from-environment`` from the sadpath installed in the interpreter that runs this script.

The extension runs this file as a script, never ``python -m``: a script puts only its own folder on
``sys.path``, while ``-m`` would put the working folder (the user's workspace) first, so that a workspace
``sadpath/`` package or a file shadowing the standard library (``argparse.py``) would run in the server.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = os.path.join(os.path.dirname(HERE), "libs")
FROM_ENVIRONMENT = "--from-environment" in sys.argv[1:]
argv = [arg for arg in sys.argv[1:] if arg != "--from-environment"]

# nothing but this folder (which holds only this file) and the bundle may come before the standard library
sys.path[:] = [p for p in sys.path if p not in ("", ".", os.getcwd())]
if not FROM_ENVIRONMENT and os.path.isdir(LIBS):
    sys.path.insert(0, LIBS)

try:
    from sadpath.lsp.server import main
except ImportError as exc:  # a broken bundle, an interpreter the bundle was not built for, or no sadpath installed
    where = "the interpreter's environment" if FROM_ENVIRONMENT else LIBS
    sys.stderr.write(f"sadpath: cannot import the server from {where}: {exc}\n")
    sys.exit(2)

sys.exit(main(argv))
