"""A private PostgreSQL cluster the test starts and stops as it likes, as the postgres user,
in a folder of its own: never the server the suite runs on."""

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.test_serve import free_port


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (initdb, pg_ctl), if any."""
    found = sorted(
        (Path(initdb).parent for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def why_not_here() -> str | None:
    """Why a private cluster cannot run here (None when it can)."""
    if server_binaries() is None:
        return "needs PostgreSQL's server binaries (initdb, pg_ctl): apt-get install postgresql"
    if os.geteuid() != 0:
        return "needs root, to run initdb and pg_ctl as the postgres user"
    if shutil.which("runuser") is None:
        return "needs runuser (util-linux)"
    return None


class Cluster:
    def __init__(self) -> None:
        self.bin = server_binaries()
        # Under /tmp itself: pytest's own folders are root's alone, and postgres must enter.
        self.folder = Path(tempfile.mkdtemp(prefix="storyhouse-faults-pg-"))
        shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.port = free_port()

    def run(self, command: str, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(  # noqa: S603 - PostgreSQL's own tools, our own arguments
            ["runuser", "-u", "postgres", "--", str(self.bin / command), *args],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,
        )
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"

    def create(self) -> None:
        # Trust: only this machine's test reaches it, on a port nobody else knows.
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        log = str(self.folder / "postgres.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        """Stop the cluster if it runs, and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603
                ["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"),  # noqa: S607
                 "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)
