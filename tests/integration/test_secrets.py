#!/usr/bin/env python3
"""No secret of a connection string is printed, in any output (issue 11, section 2).

For every syntax (ADO.NET, ODBC, JDBC, go-mssqldb URL with userinfo and query, sqlcmd) one
string carries every secret keyword that syntax's driver documents, each with its own marker
(probe/drivers/probe_connstr_<syntax>.c lists the keywords and their sources). Every string is
probed against fakesql by the built tdsprobe in every output format (text, json, nagios,
prometheus), as one run of all strings (the end-of-run table), from a targets file, with
--dry-run, as a usage error, against a server that fails validation (the diagnosis and fix
texts), and through `tdsprobe serve` (/probe, /probe with debug=true, a rejected target,
/metrics, its stderr). Every
byte of stdout and stderr, and of every HTTP response, is searched for every marker; the runs
must also have done their work (a verdict, the masked target printed), so an empty output
cannot pass.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS, PYTHONPATH=tests/lib (set by CTest).
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

from fakesql import FakeSQL

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
CA = os.path.join(CERTS, "ca.pem")
FORMATS = ("text", "json", "nagios", "prometheus")
LISTEN_RE = re.compile(r"^tdsprobe serve: listening on http://([0-9.]+):(\d+)/$")


class Markers:
    """Unique secrets: each one is "Qz<n>Mk", never a substring of another."""

    def __init__(self):
        self.all = []

    def __call__(self):
        m = "Qz%03dMk" % len(self.all)
        self.all.append(m)
        return m


def strings(port, mk):
    """{syntax: connection string to 127.0.0.1:port holding every secret of that syntax}."""
    addr = "127.0.0.1,%d" % port
    return {
        # Microsoft.Data.SqlClient: Password and its synonym PWD (quoted, with ';' inside)
        "ado.net": "Server=tcp:%s;Encrypt=True;User ID=sa;Password=\"%s;x\";PWD='%s'"
                   % (addr, mk(), mk()),
        # ODBC Driver 18: PWD, KeystoreSecret, the password part of ClientCertificate and
        # ClientKey (the paths stay)
        "odbc": "Driver={ODBC Driver 18 for SQL Server};Server=%s;Encrypt=yes;UID=sa;"
                "PWD={%s;}}x};KeystorePrincipalId=kv-app;KeystoreSecret=%s;"
                "ClientCertificate=file:/etc/c.pfx,password:%s,,y;"
                "ClientKey={file:/etc/k.pem,PASSWORD:%s}" % (addr, mk(), mk(), mk(), mk()),
        # mssql-jdbc: password, trustStorePassword and SQLServerDataSource's sensitive
        # properties
        "jdbc": "jdbc:sqlserver://127.0.0.1:%d;encrypt=true;user=sa;password=%s;"
                "trustStorePassword=%s;accessToken={%s;x};keyStoreSecret=%s;"
                "keyVaultProviderClientId=kv-id;keyVaultProviderClientKey=%s;"
                "clientKeyPassword=%s;msiClientId=mi-id;AADSecurePrincipalSecret=%s"
                % (port, mk(), mk(), mk(), mk(), mk(), mk(), mk()),
        # go-mssqldb: the userinfo's password, and the query's secret keys (msdsn, azuread)
        "go-url": "sqlserver://sa:%s@127.0.0.1:%d?encrypt=true&change+password=%s&"
                  "systemtoken=%s&clientassertion=%s&userassertion=%s%%2B&"
                  "applicationclientid=app-id" % (mk(), port, mk(), mk(), mk(), mk()),
        # ODBC sqlcmd: -P, -z (apart) and -Z (attached)
        "sqlcmd": "sqlcmd -S %s -N -U sa -P '%s x' -z %s -Z%s" % (addr, mk(), mk(), mk()),
    }


def broken(syntax, s):
    """s made to fail after its secrets (a usage error naming the keyword)."""
    if syntax == "go-url":
        return s.replace("127.0.0.1:", "127.0.0.1:x")  # url.Parse's error quotes the URL
    return s + {"ado.net": ";Encrypt=bogus", "odbc": ";Database={x",
                "jdbc": ";encrypt=bogus", "sqlcmd": " -Nx"}[syntax]


def run(*args, stdin=None):
    p = subprocess.run([TDSPROBE, *args], input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


class Serve:
    """One `tdsprobe serve` on an ephemeral port."""

    def __init__(self, *args):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([TDSPROBE, "serve", "--listen", "127.0.0.1:0", *args],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline().strip()
        m = LISTEN_RE.match(line)
        if not m:
            self.proc.kill()
            raise RuntimeError("serve did not start: %r" % line)
        self.base = "http://%s:%s" % (m.group(1), m.group(2))

    def get(self, path):
        """(status, body bytes)"""
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        """(exit status, stderr bytes)"""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.err.seek(0)
        err = self.err.read()
        self.err.close()
        return self.proc.returncode, err


def assert_verdict(case, fmt, out):
    """The run printed a verdict naming the target: the masked string, or (Nagios, which names
    a connection string's target by host:port, a sqlcmd line by its masked text) the plugin's
    status line."""
    if fmt == "nagios":
        case.assertRegex(out, rb"^TDSPROBE (OK|WARNING|CRITICAL) - [^\n]*127\.0\.0\.1")
    else:
        case.assertIn(b"***", out)


class Secrets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.good = FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL).__enter__()
        cls.mk = Markers()
        cls.cs = strings(cls.good.port, cls.mk)

    @classmethod
    def tearDownClass(cls):
        cls.good.__exit__(None, None, None)

    def assertNoSecret(self, out, what):
        """No marker in any byte of out; nor a sanitizer report (the ASan+UBSan build)."""
        self.assertIsInstance(out, bytes)
        self.assertNotIn(b"Sanitizer", out, what)
        self.assertNotIn(b"runtime error:", out, what)
        for m in self.mk.all:
            self.assertNotIn(m.encode(), out, "%s printed the secret %s:\n%s"
                             % (what, m, out.decode(errors="replace")))

    def test_markers_are_in_the_strings(self):
        # the test's own premise: every marker is in some string, and there are many
        self.assertGreaterEqual(len(self.mk.all), 20)
        joined = "".join(self.cs.values())
        for m in self.mk.all:
            self.assertIn(m, joined)

    def test_every_format(self):
        for syntax, s in self.cs.items():
            for fmt in FORMATS:
                with self.subTest(syntax=syntax, format=fmt):
                    rc, out = run("--ca-file", CA, "--format", fmt, s)
                    self.assertNoSecret(out, "%s --format %s" % (syntax, fmt))
                    self.assertEqual(rc, 0, out.decode(errors="replace"))
                    assert_verdict(self, fmt, out)
                    if fmt == "json":
                        r = json.loads(out.decode().splitlines()[0])
                        self.assertEqual(r["status"], "ok", r)
                        self.assertIn("***", r["target"])

    def test_one_run_and_targets_file(self):
        # all strings in one run (text ends with the run's table), then from a file
        for fmt in FORMATS:
            with self.subTest(format=fmt):
                rc, out = run("--ca-file", CA, "--format", fmt, *self.cs.values())
                self.assertNoSecret(out, "one run, --format %s" % fmt)
                self.assertEqual(rc, 0, out.decode(errors="replace"))
                if fmt != "nagios":
                    self.assertGreaterEqual(out.count(b"***"), len(self.cs))
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("# every syntax\n" + "\n".join(self.cs.values()) + "\n")
            f.flush()
            for fmt in FORMATS:
                with self.subTest(file=True, format=fmt):
                    rc, out = run("--ca-file", CA, "--format", fmt, "-f", f.name)
                    self.assertNoSecret(out, "-f, --format %s" % fmt)
                    self.assertEqual(rc, 0, out.decode(errors="replace"))
        rc, out = run("--ca-file", CA, "--json", "-f", "-",
                      stdin="\n".join(self.cs.values()).encode())
        self.assertNoSecret(out, "-f -")
        self.assertEqual(len(out.decode().splitlines()), len(self.cs))

    def test_dry_run(self):
        for syntax, s in self.cs.items():
            with self.subTest(syntax=syntax):
                rc, out = run("--dry-run", s)
                self.assertNoSecret(out, "%s --dry-run" % syntax)
                self.assertEqual(rc, 0, out.decode(errors="replace"))
                self.assertIn(b"-> host 127.0.0.1", out)

    def test_failed_validation(self):
        # no CA: every string fails validation, so the diagnosis and its fix are printed
        for syntax, s in self.cs.items():
            for fmt in FORMATS:
                with self.subTest(syntax=syntax, format=fmt):
                    rc, out = run("--format", fmt, s)
                    self.assertNoSecret(out, "%s untrusted, --format %s" % (syntax, fmt))
                    assert_verdict(self, fmt, out)
                    self.assertNotEqual(rc, 0, out.decode(errors="replace"))

    def test_usage_errors(self):
        # the string fails to parse after its secrets: exit 64, the error names the keyword
        for syntax, s in ((k, broken(k, v)) for k, v in self.cs.items()):
            with self.subTest(syntax=syntax):
                rc, out = run("--ca-file", CA, s)
                self.assertNoSecret(out, "%s usage error" % syntax)
                self.assertEqual(rc, 64, out.decode(errors="replace"))
                rc, out = run("--dry-run", "127.0.0.1", s)
                self.assertNoSecret(out, "%s usage error after a good target" % syntax)
                self.assertEqual(rc, 64, out.decode(errors="replace"))

    def test_password_cut_short(self):
        # a go URL password with an unescaped '/' ends the authority early: url.Parse fails on
        # its "port", and the error must not quote it (CLI and serve)
        s = "sqlserver://sa:QzCut1/QzCut2@127.0.0.1:%d?encrypt=true" % self.good.port
        for args in (("--ca-file", CA, s), ("--dry-run", s)):
            rc, out = run(*args)
            self.assertEqual(rc, 64, out)
            self.assertNotIn(b"QzCut", out)
            self.assertIn(b"sa:***@127.0.0.1", out)
        srv = Serve("--ca-file", CA)
        try:
            code, body = srv.get("/probe?" + urllib.parse.urlencode({"target": s}))
        finally:
            rc, err = srv.stop()
        self.assertEqual(code, 400, body)
        self.assertNotIn(b"QzCut", body + err)
        self.assertIn(b"sa:***@127.0.0.1", body)

    def test_serve(self):
        srv = Serve("--ca-file", CA, "--timeout", "10")
        try:
            for syntax, s in self.cs.items():
                with self.subTest(syntax=syntax):
                    code, body = srv.get("/probe?" + urllib.parse.urlencode({"target": s}))
                    self.assertNoSecret(body, "serve /probe %s" % syntax)
                    self.assertEqual(code, 200, body)
                    self.assertIn(b"tdsprobe_success{", body)
                    self.assertRegex(body.decode(), r"(?m)^tdsprobe_success\{.*\} 1$")
                    self.assertIn(b"***", body)  # the target label, masked
                    code, body = srv.get("/probe?" + urllib.parse.urlencode(
                        {"target": s, "debug": "true"}))
                    self.assertNoSecret(body, "serve debug=true %s" % syntax)
                    self.assertEqual(code, 200, body)
                    self.assertIn(b"Metrics that would have been returned:", body)
                    self.assertIn(b"Verdict ", body)
                    self.assertIn(b"***", body)  # the report's target and the label, masked
                    code, body = srv.get("/probe?" + urllib.parse.urlencode(
                        {"target": broken(syntax, s)}))
                    self.assertNoSecret(body, "serve rejected %s" % syntax)
                    self.assertEqual(code, 400, body)
            code, body = srv.get("/metrics")
            self.assertEqual(code, 200)
            self.assertNoSecret(body, "serve /metrics")
        finally:
            rc, err = srv.stop()
        self.assertEqual(rc, 0, err)
        self.assertNoSecret(err, "serve stderr")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + [a for a in sys.argv[1:] if a.startswith("-")])
