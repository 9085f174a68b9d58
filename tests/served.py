"""``ceasefire serve`` as a real child process on loopback, for the tests that need one.

Starts the command with ``--port 0``, reads the address it prints once its socket listens,
waits until the API answers, and stops it (SIGTERM, then SIGKILL) when done. Bounded in time.

A test that starts one (itself or through its fixtures) is marked ``served``, which ``make
test-fast`` leaves out; ``conftest.py`` tells this module whether the running test is, and an
unmarked one fails here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from types import TracebackType

STARTUP_S = 90

#: Whether the test being set up or run is marked ``served`` (set by conftest.py; None outside
#: a pytest run).
MARKED: bool | None = None


class Served:
    """A running ``ceasefire serve``; ``base`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, *args: str) -> None:
        if MARKED is False:
            raise AssertionError(
                "this test starts `ceasefire serve`: mark it @pytest.mark.served "
                "(make test-fast leaves those out)"
            )
        command = [sys.executable, "-c", "from ceasefire.cli.app import main; main()", "serve"]
        command += ["--port", "0", "--log-level", "warning", *args]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            self.base = self._address()
            self._wait_until_it_answers()
        except BaseException:
            self.stop()
            raise

    def _address(self) -> str:
        got: list[str] = []
        stdout = self.proc.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: got.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=STARTUP_S)
        line = got[0] if got else ""
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            error = self.proc.stderr.read() if self.proc.poll() is not None else ""  # type: ignore[union-attr]
            raise AssertionError(f"the server printed no address: {line!r} {error}")
        return found.group(0)

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/v1/ogc", timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing; what was acknowledged must already be safe."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Served:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
