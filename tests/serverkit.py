"""Starting and stopping real servers on loopback for the tests (model server, `chroma run`, fakes).

Scope: a free port, a bounded start that polls a ready URL, a stop that never leaves a process
behind. Not here: what the servers do (tests/fake_llm_server.py, the real packages).
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], ready_url: str, log: Path, timeout: float):
    """Start a server process and poll `ready_url` until it answers 200 (bounded)."""
    fh = log.open("wb")
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fh.close()
            pytest.fail(f"{cmd[0]} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(ready_url, timeout=2).status_code == 200:
                return proc, fh
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc, fh)
    pytest.fail(f"{cmd[0]} not ready after {timeout:g} s:\n{log.read_text(errors='replace')[-2000:]}")


def stop(proc, fh) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
    fh.close()
