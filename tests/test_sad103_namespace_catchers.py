"""SAD103 follows a signal's catchers into a sibling subpackage of a namespace package (a top folder without
``__init__.py`` the module imports from), and a bare ``raise`` in a handler nested in a catcher re-raises that
handler's own error, not the signal."""

import subprocess
import sys
from pathlib import Path

APP = Path(__file__).parent / "fixtures" / "SAD103_unchained-translation" / "nsapp"


def test_signal_caught_in_another_subpackage_is_quiet_and_logged_one_fires():
    result = subprocess.run(
        [sys.executable, "-m", "sadpath", "check", "--no-cache", "--exit-zero", "--select", "SAD103",
         "--output-format", "concise", str(APP)],
        capture_output=True, text=True, check=True,
    )
    lines = {int(line.split(":")[1]) for line in result.stdout.splitlines() if "rest.py:" in line and "SAD103" in line}
    expected = {n for n, text in enumerate((APP / "store" / "rest.py").read_text().splitlines(), 1) if "# error:" in text}
    assert lines == expected == {24}
