"""A throwaway PostgreSQL cluster for the tests and the benchmark: the distribution's server binaries (initdb,
pg_ctl), a temporary directory and a free port on 127.0.0.1, durability off (fsync) for speed.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the unprivileged
`postgres` account the distribution's package creates (or `dora-postgres`, created here when
missing). A server that cannot start raises, so the tests that need it fail; they never skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg2

SUPERUSER = "dora"
# The account the pipeline connects as: a password it must send (scram-sha-256), the owner of the
# databases it writes (tests of installs: the credentials reach dlt, dbt and the pipeline's own
# connections, or the run fails).
PIPELINE_USER, PIPELINE_PASSWORD = "dora_pipeline", "pipeline-Secret-7w3"
# Not UTC on purpose: the models must give the same results whatever the session time zone.
SERVER_TIME_ZONE = "America/Sao_Paulo"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": f"'{SERVER_TIME_ZONE}'",
}


def server_bin_dir() -> Path:
    """Where initdb and pg_ctl are: PG_BIN_DIR, else Debian's /usr/lib/postgresql/<newest>/bin, else PATH."""
    if os.environ.get("PG_BIN_DIR"):
        return Path(os.environ["PG_BIN_DIR"])
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found: install the distribution's "
                       "server package (Debian: apt-get install postgresql) or set PG_BIN_DIR")


def server_account() -> pwd.struct_passwd | None:
    """The account the server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "dora-postgres"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "dora-postgres"],
                   check=True, capture_output=True)
    return pwd.getpwnam("dora-postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresCluster:
    directory: Path
    port: int
    account: pwd.struct_passwd | None
    bin_dir: Path

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @classmethod
    def start(cls) -> PostgresCluster:
        account = server_account()
        cluster = cls(Path(tempfile.mkdtemp(prefix="dora-postgres-")), free_port(), account, server_bin_dir())
        if account is not None:
            os.chown(cluster.directory, account.pw_uid, account.pw_gid)
        try:
            cluster._run(cluster.bin_dir / "initdb", "-D", cluster.data, "-U", SUPERUSER, "--auth=trust",
                         "--encoding=UTF8", "--locale=C")
            hba = cluster.data / "pg_hba.conf"
            hba.write_text(f"host all {PIPELINE_USER} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
            with (cluster.data / "postgresql.conf").open("a") as conf:
                conf.writelines(f"{name} = {value}\n" for name, value in
                                {**SETTINGS, "port": cluster.port,
                                 "unix_socket_directories": f"'{cluster.directory}'"}.items())
            cluster._run(cluster.bin_dir / "pg_ctl", "-D", cluster.data, "-l", cluster.directory / "server.log",
                         "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as error:
            log = cluster.directory / "server.log"
            details = (error.stdout or "") + (error.stderr or "") + (log.read_text() if log.exists() else "")
            shutil.rmtree(cluster.directory, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start ({' '.join(map(str, error.cmd))}):\n{details}") from error
        with closing(cluster.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f"create role {PIPELINE_USER} login password %s", [PIPELINE_PASSWORD])
        return cluster

    def stop(self) -> None:
        subprocess.run(self._as_account([self.bin_dir / "pg_ctl", "-D", self.data, "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)

    def connect(self, dbname: str = "postgres"):
        """A psycopg2 connection in autocommit mode (every statement commits)."""
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=dbname)
        connection.autocommit = True
        return connection

    def create_database(self, owner: str = SUPERUSER) -> str:
        """A new, empty database owned by `owner`; its name."""
        name = f"dora_{uuid.uuid4().hex[:12]}"
        with closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f"create database {name} owner {owner}")
        return name

    def pipeline_credentials(self, dbname: str, password: str = PIPELINE_PASSWORD) -> str:
        """dlt's `destination.postgres.credentials` of an install writing `dbname` as PIPELINE_USER."""
        return f"postgresql://{PIPELINE_USER}:{password}@127.0.0.1:{self.port}/{dbname}"

    def connection_env(self, dbname: str) -> dict[str, str]:
        """The environment variables dbt's `postgres` target (dbt_project/profiles.yml) reads."""
        return {"DORA_PG_HOST": "127.0.0.1", "DORA_PG_PORT": str(self.port), "DORA_PG_USER": SUPERUSER,
                "DBT_ENV_SECRET_DORA_PG_PASSWORD": "", "DORA_PG_DBNAME": dbname}

    def _as_account(self, command: list) -> list[str]:
        command = [str(part) for part in command]
        return command if self.account is None else ["runuser", "-u", self.account.pw_name, "--", *command]

    def _run(self, *command) -> None:
        subprocess.run(self._as_account(list(command)), check=True, capture_output=True, text=True)
