"""Run tests/fakesql (the in-tree SQL Server stand-in) from Python tests.

    from fakesql import FakeSQL

    with FakeSQL({"cert": "good", "forceencryption": 1}, certs_dir=CERTS, binary=FAKESQL) as srv:
        probe(srv.host, srv.port)
        assert "outcome=login_failed" in srv.log()

The configuration is either mssql.conf text or a dict. A dict may be nested by section
({"network": {...}, "fakesql": {...}}) or flat: the [network] keys (tlscert, tlskey,
tlsprotocols, tlsciphers, forceencryption, tcpport, ipaddress) go to [network], everything else
to [fakesql]. Conveniences: "cert": "good" means tlscert/tlskey = CERTS/good.pem, CERTS/good.key;
"{certs}" in any value or text is replaced by certs_dir; True/False become 1/0; lists are joined
with commas. Unless the config says otherwise, fakesql listens on 127.0.0.1 with an ephemeral
port (tcpport = 0).

binary defaults to $FAKESQL, certs_dir to $TDSPROBE_CERTS. On exit the server gets SIGTERM (then
SIGKILL after 5 s) and the temporary directory is removed; leaving the block raises FakeSQLError
if fakesql did not exit 0 or printed a sanitizer report (unless check_exit=False).
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

NETWORK_KEYS = {"tlscert", "tlskey", "tlsprotocols", "tlsciphers", "forceencryption", "tcpport",
                "ipaddress"}

_LISTEN_RE = re.compile(r"^fakesql: listening (tcp|udp) (\[[^\]]+\]|[^:\s]+):(\d+)$")


class FakeSQLError(RuntimeError):
    """fakesql did not start; the message carries its stderr."""


def _value(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(_value(x) for x in v)
    return str(v)


def render_config(config, certs_dir=None):
    """mssql.conf text for a dict or text config (see the module docstring)."""
    if isinstance(config, str):
        text = config
    else:
        sections = {"network": {}, "fakesql": {}}
        for key, val in config.items():
            if isinstance(val, dict):
                sections.setdefault(key.lower(), {}).update(val)
            elif key == "cert":
                sections["network"]["tlscert"] = "{certs}/%s.pem" % val
                sections["network"]["tlskey"] = "{certs}/%s.key" % val
            elif key.lower() in NETWORK_KEYS:
                sections["network"][key.lower()] = val
            else:
                sections["fakesql"][key] = val
        net, fake = sections["network"], sections["fakesql"]
        if "listen" not in fake:
            net.setdefault("tcpport", 0)
            net.setdefault("ipaddress", "127.0.0.1")
        lines = []
        for name, items in sections.items():
            lines.append("[%s]" % name)
            lines.extend("%s = %s" % (k, _value(v)) for k, v in items.items())
            lines.append("")
        text = "\n".join(lines)
    if "{certs}" in text:
        if not certs_dir:
            raise ValueError("config refers to {certs} but no certs_dir (or $TDSPROBE_CERTS)")
        text = text.replace("{certs}", certs_dir)
    return text


class FakeSQL:
    """One fakesql process; use as a context manager."""

    def __init__(self, config, certs_dir=None, binary=None, args=(), ready_timeout=20.0,
                 wrapper=(), check_exit=True):
        self.binary = binary or os.environ.get("FAKESQL")
        if not self.binary:
            raise ValueError("no fakesql binary: pass binary= or set $FAKESQL")
        self.certs_dir = certs_dir or os.environ.get("TDSPROBE_CERTS")
        self.config_text = render_config(config, self.certs_dir)
        self.args = list(args)
        self.wrapper = list(wrapper)  # e.g. ["taskset", "-c", "0"] or ["ip", "netns", "exec", ns]
        self.ready_timeout = ready_timeout
        self.check_exit = check_exit  # __exit__ raises unless fakesql exited 0 and clean
        self.proc = None
        self.tmpdir = None
        self.listeners = []  # (proto, host, port) in fakesql's order
        self.returncode = None

    # ---- lifecycle ----
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        code = self.stop()
        if exc_type is None and self.check_exit:
            # A sanitizer report (leak at exit, UBSan) or a crash fails the test that ran it.
            log = self.log()
            if code != 0 or "Sanitizer" in log or "runtime error:" in log:
                raise FakeSQLError("fakesql exited with %s; log:\n%s" % (code, log))
        return False

    def start(self):
        self.tmpdir = tempfile.mkdtemp(prefix="fakesql-")
        self.conf_path = os.path.join(self.tmpdir, "mssql.conf")
        self.ready_path = os.path.join(self.tmpdir, "ready")
        self.stderr_path = os.path.join(self.tmpdir, "stderr.log")
        with open(self.conf_path, "w") as f:
            f.write(self.config_text)
        cmd = self.wrapper + [self.binary, "--config", self.conf_path,
                              "--ready-file", self.ready_path] + self.args
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._stderr)
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        while not os.path.exists(self.ready_path):
            if self.proc.poll() is not None:
                err = self.log()
                self._cleanup()
                raise FakeSQLError("fakesql exited with %s before it was ready:\n%s"
                                   % (self.proc.returncode, err))
            if time.monotonic() > deadline:
                self.stop()
                raise FakeSQLError("fakesql not ready after %.0f s" % self.ready_timeout)
            time.sleep(0.01)
        with open(self.ready_path) as f:
            for line in f:
                m = _LISTEN_RE.match(line.strip())
                if m:
                    self.listeners.append((m.group(1), m.group(2).strip("[]"), int(m.group(3))))

    def stop(self, timeout=5.0):
        """SIGTERM, wait (SIGKILL after timeout); returns the exit status."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        self._stderr.close()
        self._log_final = self._read_log()
        self._cleanup()
        self.proc = None
        return self.returncode

    def _cleanup(self):
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    # ---- where it listens ----
    @property
    def tcp(self):
        return [(h, p) for proto, h, p in self.listeners if proto == "tcp"]

    @property
    def udp(self):
        return [(h, p) for proto, h, p in self.listeners if proto == "udp"]

    @property
    def host(self):
        return self.tcp[0][0]

    @property
    def port(self):
        return self.tcp[0][1]

    @property
    def ports(self):
        return [p for _, p in self.tcp]

    @property
    def udp_port(self):
        return self.udp[0][1] if self.udp else None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    # ---- its stderr ----
    def _read_log(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log(self):
        """Everything fakesql wrote to stderr so far (also after stop())."""
        if self.proc is None and hasattr(self, "_log_final"):
            return self._log_final
        return self._read_log()

    def connections(self):
        """The per-connection log lines as dicts (key=value fields; detail unquoted)."""
        out = []
        for line in self.log().splitlines():
            if not line.startswith("fakesql: conn="):
                continue
            fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line[len("fakesql: "):]))
            out.append({k: v.strip('"').strip("'") for k, v in fields.items()})
        return out

    def wait_log(self, pattern, timeout=5.0):
        """Waits until a stderr line matches the regex; returns the match (or raises)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log().splitlines():
                m = rx.search(line)
                if m:
                    return m
            if time.monotonic() > deadline:
                raise AssertionError("no fakesql log line matches %r; log:\n%s"
                                     % (pattern, self.log()))
            time.sleep(0.02)

    def wait_outcome(self, count=1, timeout=5.0):
        """Waits until `count` connections were logged; returns their dicts."""
        deadline = time.monotonic() + timeout
        while True:
            conns = self.connections()
            if len(conns) >= count:
                return conns
            if time.monotonic() > deadline:
                raise AssertionError("expected %d connection lines; log:\n%s"
                                     % (count, self.log()))
            time.sleep(0.02)
