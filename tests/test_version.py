"""`newsfold --version` prints the installed package's version."""
import subprocess
import sys
from importlib.metadata import version


def test_version_prints_the_package_version():
    out = subprocess.run([sys.executable, "-m", "newsfold.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"newsfold {version('newsfold')}"
    assert version("newsfold")[0].isdigit()
