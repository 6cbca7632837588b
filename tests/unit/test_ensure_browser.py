"""`make test` finds or installs the browser its UI tests need, or stops at once saying what to install."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-browser.sh"


def run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_a_present_browser_passes(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    done = run(WIRE_CHROMIUM=str(fake))
    assert (done.returncode, done.stderr) == (0, "")


def test_a_missing_browser_stops_at_once_naming_the_package(tmp_path: Path) -> None:
    """With the browser path hidden and no installing allowed (as for a non-root user)."""
    done = run(WIRE_CHROMIUM=str(tmp_path / "absent"), WIRE_NO_BROWSER_INSTALL="1")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"make test needs Chromium at {tmp_path / 'absent'} for its browser tests: "
        "apt-get install chromium"
    ]
