"""``rosetta serve`` (and other ``rosetta`` commands) as child processes on loopback, to be
killed with SIGKILL as a crash or a power cut would kill them, and the store URLs they are
given: an SQLite file, or a fresh schema of the PostgreSQL test server."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

#: The ``rosetta`` command of the interpreter running the tests.
ROSETTA = str(Path(sys.executable).parent / "rosetta")
#: Seconds a server gets to answer /healthz after it was started.
STARTUP = 90.0


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess:
    """A running ``rosetta serve``: its base URL and its process."""

    base: str
    process: "subprocess.Popen[bytes]"

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown of any kind runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        """An orderly stop (SIGTERM), waiting for it."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)


def start_server(db_url: str, data_dir: Path, log: Path, *, job_workers: int = 1) -> ServerProcess:
    """``rosetta --db db_url serve`` on a free port with `job_workers` job threads writing
    under `data_dir`, its output appended to `log`; returned once /healthz answers 200."""
    port = free_port()
    env = {
        **os.environ,
        "ROSETTA_DATA_DIR": str(data_dir),
        "ROSETTA_JOB_WORKERS": str(job_workers),
    }
    command = [ROSETTA, "--db", db_url, "serve", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"rosetta serve exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return ServerProcess(base, process)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"rosetta serve did not answer in {STARTUP:.0f} s; see {log}")


def run_cli(*args: str, log: Path) -> "subprocess.Popen[bytes]":
    """``rosetta ARGS`` started (not waited for), its output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen([ROSETTA, *args], stdout=out, stderr=subprocess.STDOUT)
