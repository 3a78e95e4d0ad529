"""A private, throwaway PostgreSQL cluster for the fault tests: its own data folder and port,
so that stopping it ("the database is down") hurts nobody else on the machine.

    with PrivateCluster.create() as cluster:      # initdb + start
        url = cluster.url("postgres")
        cluster.stop()                             # pg_ctl stop -m fast: a real outage
        cluster.start()

PostgreSQL refuses to run as root, so when the tests run as root every server command runs
as the ``postgres`` OS user (``runuser``) and the folder belongs to it. ``unavailable()``
says why no cluster can be made here (for a skip), or None.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_USER = "postgres"


def _bin_folder() -> Path | None:
    """The newest installed PostgreSQL server's ``bin`` folder (Debian layout), or the one of
    an ``initdb`` on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _as_root() -> bool:
    return os.geteuid() == 0


def unavailable() -> str | None:
    """Why no private cluster can be made on this machine, or None."""
    if _bin_folder() is None:
        return "no PostgreSQL server binaries (initdb) installed"
    if _as_root():
        if shutil.which("runuser") is None:
            return "running as root without runuser (PostgreSQL refuses to run as root)"
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} OS user to run PostgreSQL"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateCluster:
    """One cluster in a temporary folder, listening on 127.0.0.1:``port`` (trust auth)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.sockets = folder / "sockets"
        self.log = folder / "server.log"
        self.port = _free_port()
        bin_folder = _bin_folder()
        assert bin_folder is not None, unavailable()
        self.bin = bin_folder

    @classmethod
    @contextmanager
    def create(cls) -> Iterator[PrivateCluster]:
        """initdb, start; stop and delete everything afterwards."""
        folder = Path(tempfile.mkdtemp(prefix="caseflow-pg-"))
        cluster = cls(folder)
        try:
            cluster.sockets.mkdir()
            if _as_root():
                user = pwd.getpwnam(SERVER_USER)
                for path in (folder, cluster.sockets):
                    os.chown(path, user.pw_uid, user.pw_gid)
            cluster._run(
                "initdb",
                "-D",
                str(cluster.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            )
            cluster.start()
            yield cluster
        finally:
            try:
                if cluster.data.exists():
                    cluster.stop(missing_ok=True)
            finally:
                shutil.rmtree(folder, ignore_errors=True)

    def _run(self, program: str, *args: str, timeout: float = 120) -> str:
        command = [str(self.bin / program), *args]
        if _as_root():
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.folder
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def start(self) -> None:
        """Start the server and wait until it accepts connections. Durability is off (a
        test cluster), connections are as many as gunicorn and the tools need."""
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self, *, missing_ok: bool = False) -> None:
        """Stop the server the way an administrator would in a hurry (``-m fast``: open
        sessions are cut, their transactions rolled back)."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        except RuntimeError:
            if not missing_ok:
                raise

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
