"""Debian's nginx terminating TLS in front of a server on loopback, run as the current user with a
configuration, pid file, logs and temp folders of its own (``make proxy`` installs it).

Its ``location /`` is the one of deploy/nginx.conf, the compose file's proxy, with only the
upstream address put in: the test checks the headers that file really sends.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.scaled import free_port
from tests.daphne import listening
from tests.polling import wait_for

ROOT = Path(__file__).resolve().parents[1]
NGINX = Path("/usr/sbin/nginx")


def require_nginx() -> Path:
    """nginx, or a skip (a failure in CI) when Debian's package is missing."""
    if not NGINX.exists():
        message = "Debian's nginx is missing: apt-get install -y nginx (make proxy)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return NGINX


def shipped_proxy_rules() -> tuple[str, str]:
    """deploy/nginx.conf's ``map`` for the Upgrade header and the body of its ``location /``."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upgrade_map = re.search(r"^map \$http_upgrade \$connection_upgrade \{.*?^\}", conf, re.S | re.M)
    location = re.search(r"^    location / \{\n(.*?)^    \}", conf, re.S | re.M)
    assert upgrade_map and location, "deploy/nginx.conf changed shape"
    assert "proxy_pass $web;" in location.group(1)
    return upgrade_map.group(0), location.group(1)


@dataclass
class Proxy:
    https_port: int
    http_port: int
    folder: Path

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def configuration(folder: Path, upstream: int, https_port: int, http_port: int, cert: Path,
                  key: Path) -> str:  # fmt: skip
    upgrade_map, location = shipped_proxy_rules()
    location = location.replace("proxy_pass $web;", f"proxy_pass http://127.0.0.1:{upstream};")
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # A root master would hand requests to workers running as "nobody"; as the current user
    # they read and write the test's own folders. (Not root: nginx ignores the directive.)
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 128; }}
http {{
    access_log off;
{temp}
    {upgrade_map}
    # The TLS listener of docs/deployment.md "The proxy", with the shipped location.
    server {{
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        client_max_body_size 9m;
        location / {{
{location}        }}
    }}
    # Plain HTTP through the same proxy: X-Forwarded-Proto says http.
    server {{
        listen 127.0.0.1:{http_port};
        location / {{
{location}        }}
    }}
}}
"""


@contextlib.contextmanager
def tls_proxy(
    folder: Path, upstream: int, cert: Path, key: Path, https_port: int | None = None
) -> Iterator[Proxy]:
    """nginx on two loopback ports, TLS (``https_port`` or a free one) and plain, proxying to
    ``upstream``."""
    nginx = require_nginx()
    folder.mkdir(parents=True, exist_ok=True)
    proxy = Proxy(https_port or free_port(), free_port(), folder)
    conf = folder / "nginx.conf"
    conf.write_text(configuration(folder, upstream, proxy.https_port, proxy.http_port, cert, key))
    # -e: the error log before the configuration is read (the package's default is /var/log).
    command = [str(nginx), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:

        def state() -> str | None:
            if process.poll() is not None:
                return "exited"
            ports = (proxy.https_port, proxy.http_port)
            return "ready" if all(listening(port) for port in ports) else None

        if wait_for(state, 15, 0.05, fail=False) != "ready":
            raise RuntimeError(f"nginx did not start: {proxy.error_log()}")
        yield proxy
    finally:
        process.terminate()  # SIGTERM: fast shutdown of the master and its worker
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
