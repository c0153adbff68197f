"""A real headless Chromium for the tests of pivot's HTML pages, with the network cut off so a
page that needs a CDN fails as it would on a plane.

`find()` gives the browser, installing Debian's `chromium` package when it is absent and this is
root with apt-get (as on CI); the `browser` fixture (tests/conftest.py) skips, with the reason,
only where it truly cannot be had. `Browser.dom(page)` is the page's DOM after its scripts ran;
`Browser.screenshot(page, png)` saves what a person would see (taken for a failing test)."""

from __future__ import annotations

import fcntl
import os
import pathlib
import shutil
import subprocess
import tempfile

NAMES = ("chromium", "chromium-browser", "google-chrome")
_LOCK = pathlib.Path(tempfile.gettempdir()) / "pivot-tests-chromium.lock"

# No network at all: every host resolves to nothing and every proxy is a closed port.
OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>")


def find() -> str | None:
    """The browser's path, installing it once (under a lock: xdist workers ask at once)."""
    found = _which()
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _which()
        if found is None:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
            subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True, timeout=900)
            found = _which()
    return found


def _which() -> str | None:
    return next((path for name in NAMES if (path := shutil.which(name))), None)


class Browser:
    def __init__(self, path: str, scratch: pathlib.Path) -> None:
        self.path = path
        self._scratch = scratch

    def _run(self, page: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
        profile = tempfile.mkdtemp(dir=self._scratch, prefix="chromium-")
        command = [
            self.path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}", *OFFLINE,
            "--virtual-time-budget=10000", *args, page.resolve().as_uri(),
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def dom(self, page: pathlib.Path) -> str:
        """The page's DOM once it has loaded and its scripts have run."""
        done = self._run(page, "--dump-dom")
        if done.returncode != 0 or "<html" not in done.stdout.lower():
            raise AssertionError(f"chromium could not open {page}: {done.stderr[-2000:]}")
        return done.stdout

    def screenshot(self, page: pathlib.Path, png: pathlib.Path, *, size: str = "1280,2000") -> pathlib.Path:
        self._run(page, f"--screenshot={png}", f"--window-size={size}", "--hide-scrollbars")
        return png
