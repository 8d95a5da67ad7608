"""A build that waits on another's folder lock says so, once, naming the folder and the holder."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

import pytest

from cheatdeck.transaction import commit


class _Heard(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.heard = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.heard.set()


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="the holder's pid is read from /proc/locks")
def test_a_build_waiting_on_the_folder_lock_says_who_holds_it(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    holder = os.open(out, os.O_RDONLY)  # another build holds the folder
    fcntl.flock(holder, fcntl.LOCK_EX)
    heard = _Heard()
    logger = logging.getLogger("cheatdeck.transaction")
    logger.addHandler(heard)
    written: list[Path] = []
    waiter = threading.Thread(
        target=lambda: written.extend(commit(out, [(out / "grid.csv", lambda tmp: tmp.write_text("a,b\n"))]))
    )
    try:
        waiter.start()
        assert heard.heard.wait(timeout=120), "the waiting build said nothing"
        assert not written  # still waiting: the folder is held
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
        waiter.join(timeout=120)
        logger.removeHandler(heard)
    assert heard.messages == [f"waiting for another build in {os.path.realpath(out)} (pid {os.getpid()})…"]
    assert written == [out / "grid.csv"] and (out / "grid.csv").read_text() == "a,b\n"
