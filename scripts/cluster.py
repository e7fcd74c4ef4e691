#!/usr/bin/env python3
"""A local cluster of gradesys on one machine, for trying and testing the production topology.

    .venv/bin/python scripts/cluster.py up [--employees 200] [--max-lag 60]
    .venv/bin/python scripts/cluster.py status
    .venv/bin/python scripts/cluster.py down

`up` starts, all on 127.0.0.1 with free ports and inside one new temporary folder:

* two MariaDB servers from the machine's own binaries (mariadb-install-db, mariadbd), each
  with its own data directory, socket and port, and no option file (`--no-defaults`: the
  machine's /etc/mysql configuration, and any server it runs, are left alone). The primary
  writes a binary log (GTIDs); the replica is read-only and follows it with
  `CHANGE MASTER TO … MASTER_USE_GTID=slave_pos` as a replication user whose password is
  generated here;
* Redis, private and without persistence: the shared cache and the sessions' cache;
* two gunicorn servers of the product (gradesys/gunicorn.conf.py) with the same SECRET_KEY:
  DATABASE_URL the primary, REPORTS_DATABASE_URL the replica;
* nginx balancing between them, with a configuration generated into the folder and run in
  the foreground of its own process (`nginx -c FILE -p DIR`), not as a system service.

It migrates the primary, seeds the demo organisation and waits until the replica has caught
up. The folder holds everything: data, sockets, logs, the generated configuration and
`cluster.json` (ports, process ids, generated passwords; readable by its owner only). `down`
stops every process `up` started, by the process id it recorded (checking the id still
names the same process), and removes the folder. `.cluster-dir` in the project names the
folder of the cluster that is up, so `status` and `down` need no argument.

The functions below (up, down, app_stop, mariadb_stop, query, …) are also what the cluster
test (gradesys/tests/test_cluster.py) and bench/cluster_drills.py use.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "bench"))
from _support import free_port  # noqa: E402

HOST = "127.0.0.1"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
POINTER = PROJECT / ".cluster-dir"
DATABASE = "gradesys"
APP_USER = "gradesys"
REPL_USER = "repl"
APP_SERVERS = ("app1", "app2")


_CHOSEN_PORTS: set[int] = set()


def _port() -> int:
    """A free loopback port not already given to another process of this cluster (two calls
    of free_port may return the same port: each is released as soon as it is found)."""
    while (port := free_port()) in _CHOSEN_PORTS:
        pass
    _CHOSEN_PORTS.add(port)
    return port


class ClusterError(Exception):
    """The cluster cannot be brought up (or down); the message says why."""


# --- State ---------------------------------------------------------------------------------


@dataclass
class Process:
    """A process the cluster started: how to start it again, and who it is now."""

    argv: list[str]
    log: str
    env: dict[str, str] = field(default_factory=dict)  # on top of a clean base environment
    port: int | None = None
    pid: int | None = None
    started: str | None = None  # /proc/<pid>/stat's start time: the pid still names this process


@dataclass
class Cluster:
    dir: str
    processes: dict[str, Process]
    passwords: dict[str, str]
    secret_key: str
    max_lag: int

    @property
    def state_file(self) -> Path:
        return Path(self.dir) / "cluster.json"

    def save(self) -> None:
        path = self.state_file
        path.write_text(json.dumps(asdict(self), indent=2))
        path.chmod(0o600)

    @classmethod
    def load(cls, directory: str | Path) -> "Cluster":
        data = json.loads((Path(directory) / "cluster.json").read_text())
        data["processes"] = {name: Process(**p) for name, p in data["processes"].items()}
        return cls(**data)

    def port(self, name: str) -> int:
        return self.processes[name].port

    def socket(self, name: str) -> str:
        return str(Path(self.dir) / name / "mysqld.sock")

    def database_url(self, name: str) -> str:
        return f"mysql://{APP_USER}:{self.passwords['app']}@{HOST}:{self.port(name)}/{DATABASE}"

    @property
    def url(self) -> str:
        """The site, through nginx."""
        return f"http://{HOST}:{self.port('nginx')}"

    def app_url(self, name: str) -> str:
        return f"http://{HOST}:{self.port(name)}"


# --- Processes -----------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat (after the command's parentheses); None when gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return fields[19]


def _reap(pid: int) -> None:
    """Collect `pid` if it is our child (the test's and the drills' own processes), so that a
    stopped one does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def alive(process: Process) -> bool:
    if not process.pid:
        return False
    _reap(process.pid)
    return process.started is not None and _start_time(process.pid) == process.started


def _base_env() -> dict[str, str]:
    """The caller's environment without anything that would point the product elsewhere."""
    drop = {"DATABASE_URL", "REPORTS_DATABASE_URL", "LEGACY_DATABASE_URL", "CACHE_URL", "SESSION_ENGINE",
            "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "GRADESYS_DEMO", "ALLOWED_HOSTS"}
    return {key: value for key, value in os.environ.items() if key not in drop and not key.startswith("REPORTS_")}


def start(cluster: Cluster, name: str) -> Process:
    """Start `name` from its recorded command line, in a process group of its own."""
    process = cluster.processes[name]
    if alive(process):
        return process
    with open(process.log, "ab") as log:
        proc = subprocess.Popen(
            process.argv, cwd=PROJECT, env={**_base_env(), **process.env}, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    process.pid = proc.pid
    process.started = _start_time(proc.pid)
    # The Popen object is dropped; the process is followed by its recorded id from now on.
    proc.returncode = 0
    cluster.save()
    return process


def stop(cluster: Cluster, name: str, *, grace: float = 30.0) -> None:
    """SIGTERM to the recorded process, then, after `grace` seconds, SIGKILL to its group.

    The pid is only signalled while /proc says it is still the process that was started
    (same start time): a recycled pid is never touched.
    """
    process = cluster.processes[name]
    if alive(process):
        os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while alive(process) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(process):
            # start_new_session: the group's id is the process's own; its workers go with it.
            os.killpg(process.pid, signal.SIGKILL)
            while alive(process):
                time.sleep(0.05)
    process.pid = process.started = None
    cluster.save()


def _log_tail(process: Process, size: int = 3000) -> str:
    try:
        return Path(process.log).read_text(errors="replace")[-size:]
    except OSError:
        return ""


def wait_for_port(cluster: Cluster, name: str, seconds: float = 60) -> None:
    process = cluster.processes[name]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(process):
            raise ClusterError(f"{name} stopped while starting; its log ends with:\n{_log_tail(process)}")
        try:
            with socket.create_connection((HOST, process.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ClusterError(f"{name} did not listen on {HOST}:{process.port} within {seconds:.0f} s.")


# --- MariaDB ---------------------------------------------------------------------------------


def _mariadb_binary(name: str) -> str:
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ClusterError(f"{name} is missing: the cluster runs the machine's MariaDB server binaries "
                       "(Debian's mariadb-server package).")


def _mariadb_process(directory: Path, name: str, server_id: int, *, replica: bool) -> Process:
    base = directory / name
    port = _port()
    argv = [
        _mariadb_binary("mariadbd"), "--no-defaults", f"--port={port}",
        f"--datadir={base / 'data'}", f"--tmpdir={base / 'tmp'}", f"--socket={base / 'mysqld.sock'}",
        f"--pid-file={base / 'mysqld.pid'}",
        f"--log-error={base / 'error.log'}", f"--bind-address={HOST}", "--skip-name-resolve",
        f"--server-id={server_id}", f"--log-bin={base / 'data' / 'binlog'}", "--binlog-format=ROW",
        "--gtid-strict-mode=1", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
        # Small: two servers beside everything else on a developer's machine.
        "--innodb-buffer-pool-size=64M", "--performance-schema=OFF", "--max-connections=200",
    ]
    if replica:
        # Writes only from replication (and from root, for tests that need a row the primary lacks).
        argv += ["--read-only=1", f"--relay-log={base / 'data' / 'relay'}"]
    if os.geteuid() == 0:
        argv.append("--user=root")
    return Process(argv=argv, log=str(base / "mariadbd.out"), port=port)


def _install_mariadb(directory: Path, name: str) -> subprocess.Popen:
    base = directory / name
    (base / "data").mkdir(parents=True)
    (base / "tmp").mkdir()
    # A temporary directory of its own: two installs side by side in the shared /tmp were seen
    # to trip over each other's temporary tables ("Unknown table 'mysql.tmp_user_sys'").
    argv = [_mariadb_binary("mariadb-install-db"), "--no-defaults", f"--datadir={base / 'data'}",
            f"--tmpdir={base / 'tmp'}",
            "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"]
    if os.geteuid() == 0:
        argv.append("--user=root")
    log = open(base / "install.log", "wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def connect(cluster: Cluster, name: str, *, timeout: float = 5, database: str | None = None):
    """A root connection to `name` (primary or replica) through its socket."""
    import MySQLdb  # mysqlclient, in requirements.txt

    options = {"db": database} if database else {}
    return MySQLdb.connect(unix_socket=cluster.socket(name), user="root", connect_timeout=int(timeout),
                           autocommit=True, charset="utf8mb4", **options)


def query(cluster: Cluster, name: str, sql: str, params: tuple | list = (), *,
          database: str | None = DATABASE) -> list[dict]:
    """Run one statement as root on `name` (in the product's database unless `database` is
    None); its rows as dicts (none for statements without rows)."""
    conn = connect(cluster, name, database=database)
    try:
        cursor = conn.cursor()
        cursor.execute(sql, params or None)
        if cursor.description is None:
            return []
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
    finally:
        conn.close()


def wait_for_mariadb(cluster: Cluster, name: str, seconds: float = 60) -> None:
    import MySQLdb

    deadline = time.monotonic() + seconds
    while True:
        if not alive(cluster.processes[name]):
            error_log = Path(cluster.dir) / name / "error.log"
            tail = error_log.read_text(errors="replace")[-3000:] if error_log.exists() else ""
            raise ClusterError(f"MariaDB {name} stopped while starting; its error log ends with:\n{tail}")
        try:
            connect(cluster, name, timeout=2).close()
            return
        except MySQLdb.OperationalError:
            if time.monotonic() > deadline:
                raise ClusterError(f"MariaDB {name} did not answer on its socket within {seconds:.0f} s.") from None
            time.sleep(0.2)


def mariadb_start(cluster: Cluster, name: str) -> None:
    start(cluster, name)
    wait_for_mariadb(cluster, name)


def mariadb_stop(cluster: Cluster, name: str) -> None:
    stop(cluster, name, grace=60)


def replication_status(cluster: Cluster) -> dict:
    rows = query(cluster, "replica", "SHOW REPLICA STATUS", database=None)
    return rows[0] if rows else {}


def wait_for_replica(cluster: Cluster, seconds: float = 120) -> None:
    """Until the replica has applied everything the primary has written so far."""
    position = query(cluster, "primary", "SELECT @@GLOBAL.gtid_binlog_pos AS pos", database=None)[0]["pos"]
    waited = query(cluster, "replica", "SELECT MASTER_GTID_WAIT(%s, %s) AS done", (position, seconds),
                   database=None)[0]["done"]
    if waited != 0:
        status = replication_status(cluster)
        raise ClusterError(
            f"The replica did not reach the primary's position {position} within {seconds:.0f} s "
            f"(IO: {status.get('Slave_IO_Running')}, SQL: {status.get('Slave_SQL_Running')}, "
            f"last error: {status.get('Last_Error') or status.get('Last_IO_Error') or 'none'})."
        )


def _set_up_replication(cluster: Cluster) -> None:
    """Replication first, everything else after: the replica replays the database, the
    application's user and every migration from the primary's binary log."""
    password = cluster.passwords["replication"]
    for statement, params in (
        ("CREATE USER %s@%s IDENTIFIED BY %s", (REPL_USER, HOST, password)),
        ("GRANT REPLICATION SLAVE ON *.* TO %s@%s", (REPL_USER, HOST)),
    ):
        query(cluster, "primary", statement, params, database=None)
    # Both servers are freshly installed (the install writes no binary log): start from the
    # primary's first transaction.
    query(cluster, "replica", "SET GLOBAL gtid_slave_pos = ''", database=None)
    query(
        cluster, "replica",
        "CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
        "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
        (HOST, cluster.port("primary"), REPL_USER, password), database=None,
    )
    query(cluster, "replica", "START SLAVE", database=None)

    app = cluster.passwords["app"]
    server = {"database": None}
    query(cluster, "primary", f"CREATE DATABASE `{DATABASE}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
          **server)
    for host in (HOST, "localhost"):
        query(cluster, "primary", "CREATE USER %s@%s IDENTIFIED BY %s", (APP_USER, host, app), **server)
        query(cluster, "primary", f"GRANT ALL PRIVILEGES ON `{DATABASE}`.* TO %s@%s", (APP_USER, host), **server)
        # Reports read the replica's lag (SHOW REPLICA STATUS) before reading it.
        query(cluster, "primary", "GRANT REPLICA MONITOR ON *.* TO %s@%s", (APP_USER, host), **server)


# --- The product -----------------------------------------------------------------------------


def product_env(cluster: Cluster) -> dict[str, str]:
    """The environment of the app servers (and of manage.py run against the cluster)."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": cluster.secret_key,
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "CSRF_TRUSTED_ORIGINS": f"http://{HOST}:{cluster.port('nginx')}",
        "DATABASE_URL": cluster.database_url("primary"),
        "REPORTS_DATABASE_URL": cluster.database_url("replica"),
        "REPORTS_MAX_LAG_SECONDS": str(cluster.max_lag),
        "CACHE_URL": f"redis://{HOST}:{cluster.port('redis')}/1",
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
        # Plain HTTP on loopback: no TLS proxy in front, so no redirect and no secure-only cookies.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "BEHIND_TLS_PROXY": "0",
        "TRUSTED_PROXY_COUNT": "1",
        "GRADESYS_DEMO": "0",
        # The cluster's own copy of the static files: collectstatic never writes into the
        # checkout's staticfiles/, where another cluster or a bench may be writing too.
        "STATIC_ROOT": str(Path(cluster.dir) / "static"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def manage(cluster: Cluster, *args: str, demo: bool = False) -> str:
    env = {**_base_env(), **product_env(cluster), "GRADESYS_DEMO": "1" if demo else "0"}
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise ClusterError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result.stdout


def _app_process(cluster: Cluster, name: str, workers: int) -> Process:
    port = _port()
    env = {
        **product_env(cluster),
        "GUNICORN_BIND": f"{HOST}:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESS_LOG": str(Path(cluster.dir) / f"{name}-access.log"),
        "GUNICORN_TIMEOUT": "120",
    }
    return Process(argv=[GUNICORN, "-c", "gradesys/gunicorn.conf.py", "gradesys.wsgi:application"],
                   log=str(Path(cluster.dir) / f"{name}.log"), env=env, port=port)


def wait_for_app(cluster: Cluster, name: str, seconds: float = 60) -> None:
    wait_for_port(cluster, name, seconds)
    deadline = time.monotonic() + seconds
    while True:
        status, _headers, _body = request(cluster.app_url(name) + "/healthz")
        if status == 200:
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"{name} answers /healthz with {status}; its log ends with:\n"
                               f"{_log_tail(cluster.processes[name])}")
        time.sleep(0.2)


def app_start(cluster: Cluster, name: str) -> None:
    start(cluster, name)
    wait_for_app(cluster, name)


def app_stop(cluster: Cluster, name: str) -> None:
    """gunicorn's graceful stop: the requests in progress are answered, no new ones accepted."""
    stop(cluster, name, grace=35)


NGINX_CONF = """\
# Generated by scripts/cluster.py for a local cluster; not a system service.
worker_processes 1;
daemon off;
{user}
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/nginx-tmp/body;
    proxy_temp_path {dir}/nginx-tmp/proxy;
    fastcgi_temp_path {dir}/nginx-tmp/fastcgi;
    uwsgi_temp_path {dir}/nginx-tmp/uwsgi;
    scgi_temp_path {dir}/nginx-tmp/scgi;

    upstream gradesys {{
{servers}
    }}
    server {{
        listen {host}:{port};
        client_max_body_size 20m;
        location / {{
            # A new connection per request (gunicorn's sync workers close each one anyway): a
            # POST is never sent down a pooled connection that a stopping server has closed.
            proxy_pass http://gradesys;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering off;
            proxy_read_timeout 300s;
            proxy_connect_timeout 2s;
            # A server that refuses the connection (stopped) is skipped. A request already
            # sent is retried elsewhere only if it is a GET/HEAD: a POST is never sent twice.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            # Which app server answered (for the cluster's tests and drills).
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def _write_nginx_conf(cluster: Cluster, port: int, drained: tuple[str, ...] = ()) -> Path:
    directory = Path(cluster.dir)
    servers = "\n".join(
        f"        server {HOST}:{cluster.port(name)} max_fails=1 fail_timeout=5s{' down' if name in drained else ''};"
        for name in APP_SERVERS
    )
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(
        dir=directory, host=HOST, port=port, servers=servers,
        # As root, nginx's workers would otherwise run as nobody, who cannot enter the folder.
        user="user root;" if os.geteuid() == 0 else "",
    ))
    return conf


def nginx_drain(cluster: Cluster, name: str | None) -> None:
    """Take app server `name` out of the balancer (None: put every one back), as one does
    before stopping a server: the configuration is written again and nginx reloaded (SIGHUP);
    its old worker finishes the requests it holds, new ones go to the other server only."""
    nginx = cluster.processes["nginx"]
    _write_nginx_conf(cluster, nginx.port, drained=(name,) if name else ())
    if alive(nginx):
        old = set(_children(nginx.pid))
        os.kill(nginx.pid, signal.SIGHUP)
        # The reload is done when a new worker runs and the old one has exited: until then
        # the old one may still pick the server.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            now = set(_children(nginx.pid))
            if now and not now & old:
                return
            time.sleep(0.05)
        raise ClusterError("nginx did not finish reloading its configuration within 10 s.")


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _nginx_binary(*, install: bool = False) -> str:
    """nginx's path; with `install`, when it is missing, scripts/system-deps.sh installs Debian's
    package first (as root; otherwise it prints the command to run)."""
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if install and subprocess.run([str(PROJECT / "scripts" / "system-deps.sh")]).returncode == 0:
        return _nginx_binary()
    raise ClusterError("nginx is missing: run scripts/system-deps.sh (as root it installs Debian's nginx).")


def _nginx_process(cluster: Cluster, port: int) -> Process:
    directory = Path(cluster.dir)
    (directory / "nginx-tmp").mkdir(exist_ok=True)
    conf = _write_nginx_conf(cluster, port)
    return Process(argv=[_nginx_binary(), "-c", str(conf), "-p", str(directory)],
                   log=str(directory / "nginx.out"), port=port)


# --- A small HTTP client (tests and drills) --------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url: str, *, data: dict | None = None, headers: dict | None = None, opener=None,
            timeout: float = 30) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request; connection failures are status 0."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {})
    opener = opener or urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, OSError):
        return 0, {}, b""


class Visitor:
    """One person's browser: cookies kept, redirects not followed, CSRF token sent on POST."""

    CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def get(self, url: str, **kwargs) -> tuple[int, dict, bytes]:
        return request(url, opener=self.opener, **kwargs)

    def post(self, url: str, data: dict, *, form_url: str | None = None) -> tuple[int, dict, bytes]:
        """POST `data` with the CSRF token of the page at `form_url` (default: `url`)."""
        status, _h, page = self.get(form_url or url)
        match = self.CSRF.search(page.decode(errors="replace"))
        if not match:
            return status or 0, {}, page
        return request(url, data={"csrfmiddlewaretoken": match.group(1), **data}, opener=self.opener,
                       headers={"Referer": form_url or url})

    def sign_in(self, base_url: str, username: str, password: str) -> int:
        status, headers, _body = self.post(f"{base_url}/accounts/login/", {"username": username, "password": password})
        return status

    @property
    def session_key(self) -> str | None:
        return next((c.value for c in self.jar if c.name == "sessionid"), None)


# --- up, down, status ------------------------------------------------------------------------


def up(*, employees: int = 200, max_lag: int = 60, workers: int = 2, log=print) -> Cluster:
    """Bring the cluster up (see the module's docstring). On any failure, whatever was
    started is stopped and the folder removed before the error is raised."""
    for tool in ("redis-server",):
        if shutil.which(tool) is None:
            raise ClusterError(f"{tool} is missing: install Debian's redis-server.")
    _nginx_binary(install=True)
    directory = Path(tempfile.mkdtemp(prefix="gradesys-cluster-"))
    cluster = Cluster(
        dir=str(directory), processes={},
        passwords={"replication": secrets.token_urlsafe(24), "app": secrets.token_urlsafe(24)},
        secret_key=secrets.token_urlsafe(50), max_lag=max_lag,
    )
    try:
        began = time.monotonic()
        installs = [_install_mariadb(directory, name) for name in ("primary", "replica")]
        for name, install in zip(("primary", "replica"), installs):
            if install.wait(timeout=300):
                for other in installs:
                    if other.poll() is None:
                        other.kill()
                        other.wait()
                raise ClusterError(f"mariadb-install-db failed for {name}:\n"
                                   f"{(directory / name / 'install.log').read_text(errors='replace')[-3000:]}")
        cluster.processes["primary"] = _mariadb_process(directory, "primary", 1, replica=False)
        cluster.processes["replica"] = _mariadb_process(directory, "replica", 2, replica=True)
        redis_port = _port()
        cluster.processes["redis"] = Process(
            argv=["redis-server", "--bind", HOST, "--port", str(redis_port), "--save", "", "--appendonly", "no",
                  "--dir", str(directory)],
            log=str(directory / "redis.log"), port=redis_port,
        )
        cluster.save()
        for name in ("primary", "replica"):
            start(cluster, name)
        start(cluster, "redis")
        for name in ("primary", "replica"):
            wait_for_mariadb(cluster, name)
        wait_for_port(cluster, "redis", 10)
        log(f"MariaDB primary :{cluster.port('primary')}, replica :{cluster.port('replica')}, "
            f"Redis :{cluster.port('redis')} ({time.monotonic() - began:.0f} s)")
        _set_up_replication(cluster)

        # Every port is chosen before anything of the product runs: the nginx port is in the
        # app servers' CSRF_TRUSTED_ORIGINS, the app servers' ports in nginx's configuration.
        nginx_port = _port()
        cluster.processes["nginx"] = Process(argv=[], log="", port=nginx_port)
        for name in APP_SERVERS:
            cluster.processes[name] = _app_process(cluster, name, workers)
        cluster.processes["nginx"] = _nginx_process(cluster, nginx_port)
        cluster.save()

        manage(cluster, "migrate", "--noinput", "-v0")
        manage(cluster, "seed_demo", "--employees", str(employees), "-v0", demo=True)
        manage(cluster, "collectstatic", "--noinput", "-v0")
        log(f"migrated and seeded {employees} demo people ({time.monotonic() - began:.0f} s)")

        for name in APP_SERVERS:
            start(cluster, name)
        start(cluster, "nginx")
        for name in APP_SERVERS:
            wait_for_app(cluster, name)
        wait_for_port(cluster, "nginx", 10)
        wait_for_replica(cluster)
        log(f"up in {time.monotonic() - began:.0f} s: {cluster.url} (folder {cluster.dir})")
        return cluster
    except BaseException:
        down(cluster)
        raise


def down(cluster: Cluster | str | Path) -> None:
    """Stop every process the cluster started (the site first, the databases last) and
    remove its folder."""
    if not isinstance(cluster, Cluster):
        directory = Path(cluster)
        if not (directory / "cluster.json").exists():
            shutil.rmtree(directory, ignore_errors=True)
            return
        cluster = Cluster.load(directory)
    try:
        for name in ("nginx", *APP_SERVERS, "redis", "replica", "primary"):
            if name in cluster.processes:
                try:
                    stop(cluster, name, grace=60 if name in ("primary", "replica") else 35)
                except Exception as exc:  # noqa: BLE001 - the others must still be stopped
                    print(f"could not stop {name}: {exc}", file=sys.stderr)
    finally:
        shutil.rmtree(cluster.dir, ignore_errors=True)
        if POINTER.exists() and POINTER.read_text().strip() == cluster.dir:
            POINTER.unlink()


def status(cluster: Cluster) -> dict:
    """Each process (running or not, its port) and the replica's replication state."""
    result = {name: {"running": alive(p), "port": p.port, "pid": p.pid} for name, p in cluster.processes.items()}
    if alive(cluster.processes["replica"]):
        try:
            replica = replication_status(cluster)
            result["replication"] = {
                key: replica.get(key)
                for key in ("Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master", "Gtid_IO_Pos", "Last_Error")
            }
        except Exception as exc:  # noqa: BLE001 - a status report, not a check
            result["replication"] = {"error": str(exc)}
    return result


def _current(directory: str | None) -> Path:
    chosen = directory or (POINTER.read_text().strip() if POINTER.exists() else "")
    if not chosen or not (Path(chosen) / "cluster.json").exists():
        raise ClusterError("No cluster is up (no .cluster-dir in the project); give its folder with --dir.")
    return Path(chosen)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("--dir", help="the cluster's folder (default: the one named in .cluster-dir)")
    parser.add_argument("--employees", type=int, default=200, help="demo people to seed (default 200)")
    parser.add_argument("--max-lag", type=int, default=60, help="REPORTS_MAX_LAG_SECONDS of the app servers")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app server")
    args = parser.parse_args(argv)
    # SIGTERM while coming up: `up` stops what it has started, as on Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "up":
            if POINTER.exists() and (Path(POINTER.read_text().strip()) / "cluster.json").exists():
                raise ClusterError(f"A cluster is already up in {POINTER.read_text().strip()}: run `down` first.")
            cluster = up(employees=args.employees, max_lag=args.max_lag, workers=args.workers)
            POINTER.write_text(cluster.dir + "\n")
            print(f"site:      {cluster.url}  (app servers {cluster.app_url('app1')}, {cluster.app_url('app2')})")
            print(f"primary:   mysql -uroot -S {cluster.socket('primary')}")
            print(f"replica:   mysql -uroot -S {cluster.socket('replica')}")
            print("logins:    admin, hr, lead, dev, manager … (seed_demo's password)")
        elif args.command == "status":
            print(json.dumps(status(Cluster.load(_current(args.dir))), indent=2, default=str))
        else:
            down(_current(args.dir))
            print("down")
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
