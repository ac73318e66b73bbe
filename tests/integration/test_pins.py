#!/usr/bin/env python3
"""Certificate pins (issue 10, sections 2 and 8): --server-certificate and each syntax's
ServerCertificate keyword, read as each driver reads it, against fakesql.

- a pin that matches: the chain need not be trusted (SqlClient, ODBC 18 and JDBC under strict,
  go-mssqldb); PEM and DER files alike;
- a pin that does not: pin_mismatch, exit 1, naming both SHA-256 fingerprints, in the driver's
  own words; SqlClient compares the file only when the chain or name check fails, go-mssqldb
  always;
- JDBC reads serverCertificate only with encrypt=strict: without it the chain is judged, and
  the fix says why the file was not read instead of offering to pin;
- a driver that cannot pin (tedious) and a file that is neither PEM nor DER: exit 64 naming
  them; go-mssqldb's file-name rule (.pem or .der);
- FreeTDS's ServerCertificate is its CA file, not a pin;
- sqlcmd command lines of both tools (go-sqlcmd -J/-N VALUE, ODBC sqlcmd -N[s|m|o]) end to end;
- tdsprobe serve's server_certificate module key.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS, PYTHONPATH=tests/lib (set by CTest).
"""
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest
import urllib.parse
import urllib.request

import tdsprobe_schema
from fakesql import FakeSQL

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
SELF = os.path.join(CERTS, "selfsigned.pem")  # self-signed CN=localhost, SAN localhost/127.0.0.1
GOOD = os.path.join(CERTS, "good.pem")        # leaf + intermediate from the kit's root
CA = os.path.join(CERTS, "ca.pem")

SQLCLIENT_PIN = ("The certificate provided by the server does not match the certificate "
                 "provided by the ServerCertificate option.")
GO_PIN = "server certificate doesn't match the provided certificate"


def first_der(path):
    """The DER bytes of the first CERTIFICATE block of a PEM file."""
    with open(path) as f:
        text = f.read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def fingerprint(path):
    return hashlib.sha256(first_der(path)).hexdigest()


def run(*args):
    """tdsprobe --json ARGS: (exit code, [records], stderr)."""
    p = subprocess.run([TDSPROBE, "--json", "--timeout", "5", *args], capture_output=True,
                       text=True, timeout=60)
    objs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if tdsprobe_schema.available():
        tdsprobe_schema.check_records(objs)
    return p.returncode, objs, p.stderr


class PinCase(unittest.TestCase):
    tmp = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pins-")
        cls.self_der = os.path.join(cls.tmp, "selfsigned.der")
        with open(cls.self_der, "wb") as f:
            f.write(first_der(SELF))
        cls.self_crt = os.path.join(cls.tmp, "selfsigned.crt")
        shutil.copy(SELF, cls.self_crt)
        cls.junk = os.path.join(cls.tmp, "junk.pem")
        with open(cls.junk, "w") as f:
            f.write("not a certificate at all\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def one(self, *args, code):
        rc, objs, err = run(*args)
        self.assertEqual(len(objs), 1, err)
        self.assertEqual(rc, code, json.dumps(objs[0], indent=1))
        return objs[0]

    def assert_mismatch(self, r, pin_file, text):
        d = r["diagnosis"]
        self.assertEqual(r["status"], "fail")
        self.assertEqual(d["code"], "pin_mismatch")
        self.assertEqual(d["message"], text)
        server = r["tls"]["chain"][0]["sha256"]
        self.assertIn(server, d["cause"])             # both fingerprints are named
        self.assertIn(fingerprint(pin_file), d["cause"])
        self.assertNotEqual(server, fingerprint(pin_file))
        self.assertIn("replace the pinned file", d["fix"])

    def usage(self, *args):
        rc, objs, err = run(*args)
        self.assertEqual(rc, 64, err)
        self.assertEqual(objs, [])
        return err


class SelfSignedServer(PinCase):
    """A server whose certificate no trust store holds: only a pin makes it work."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.srv = FakeSQL({"cert": "selfsigned"}, certs_dir=CERTS, binary=FAKESQL)
        cls.srv.start()
        cls.tgt = "127.0.0.1,%d" % cls.srv.port

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        super().tearDownClass()

    def test_no_pin_is_untrusted_and_offers_one(self):
        r = self.one(self.tgt, code=1)
        self.assertEqual(r["diagnosis"]["code"], "untrusted_chain")
        self.assertIn("Or pin exactly this certificate: ServerCertificate=", r["diagnosis"]["fix"])

    def test_matching_pin_pem_and_der(self):
        for pin in (SELF, self.self_der):
            with self.subTest(pin=pin):
                r = self.one("--server-certificate", pin, self.tgt, code=0)
                self.assertEqual(r["status"], "ok")
                self.assertTrue(r["client"]["validates"])
                self.assertIn("self_signed", [f["code"] for f in r["findings"]])

    def test_mismatch_sqlclient(self):
        r = self.one("--server-certificate", GOOD, self.tgt, code=1)
        self.assert_mismatch(r, GOOD, SQLCLIENT_PIN)
        self.assertNotIn("Or pin", r["diagnosis"]["fix"])

    def test_connection_strings(self):
        port = self.srv.port
        ok = [
            "Server=127.0.0.1,%d;Encrypt=True;ServerCertificate=%s" % (port, SELF),
            "Server=127.0.0.1,%d;Server Certificate=%s" % (port, self.self_der),
            "sqlserver://127.0.0.1:%d?serverCertificate=%s" % (port, SELF),
            "sqlserver://127.0.0.1:%d?encrypt=true&servercertificate=%s" % (port, self.self_der),
        ]
        for s in ok:
            with self.subTest(s=s):
                self.assertEqual(self.one(s, code=0)["status"], "ok")
        r = self.one("Server=127.0.0.1,%d;ServerCertificate=%s" % (port, GOOD), code=1)
        self.assert_mismatch(r, GOOD, SQLCLIENT_PIN)

    def test_go_checks_the_pin_even_without_validation(self):
        # no encrypt key: login-only TLS and TrustServerCertificate=true, but the pin is
        # compared in VerifyPeerCertificate all the same
        r = self.one("sqlserver://127.0.0.1:%d?serverCertificate=%s" % (self.srv.port, GOOD),
                     code=1)
        self.assert_mismatch(r, GOOD, GO_PIN)
        r = self.one("--driver", "go-mssqldb", "--trust-server-certificate",
                     "--server-certificate", GOOD, self.tgt, code=1)
        self.assert_mismatch(r, GOOD, GO_PIN)

    def test_go_file_name_rule(self):
        err = self.usage("--driver", "go-mssqldb", "--server-certificate", self.self_crt,
                         self.tgt)
        self.assertIn("certificate type .crt is not supported", err)
        err = self.usage("sqlserver://127.0.0.1:%d?serverCertificate=%s"
                         % (self.srv.port, self.self_crt))
        self.assertIn("argument 1", err)
        self.assertIn(".crt", err)

    def test_jdbc_reads_the_pin_only_under_strict(self):
        s = "jdbc:sqlserver://127.0.0.1:%d;encrypt=true;serverCertificate=%s" % (
            self.srv.port, SELF)
        r = self.one(s, code=1)
        self.assertEqual(r["diagnosis"]["code"], "untrusted_chain")
        self.assertNotIn("pin_mismatch", [f["code"] for f in r["findings"]])
        p = subprocess.run([TDSPROBE, "--timeout", "5", s], capture_output=True, text=True,
                           timeout=60)
        self.assertNotIn("matches the pinned certificate", p.stdout)  # no pin line: not read
        fix = r["diagnosis"]["fix"]
        self.assertIn("jdbc reads it only with encrypt=strict", fix)
        self.assertNotIn("Or pin exactly", fix)

    def test_dry_run_says_whether_the_pin_is_read(self):
        p = subprocess.run([TDSPROBE, "--dry-run", "jdbc:sqlserver://db1;serverCertificate=" + SELF,
                            "jdbc:sqlserver://db1;encrypt=strict;serverCertificate=" + SELF],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [l for l in p.stdout.splitlines() if "pinned ServerCertificate" in l]
        self.assertEqual(len(lines), 2, p.stdout)
        self.assertIn("(not read with these settings)", lines[0])
        self.assertIn("(compared)", lines[1])

    def test_driver_without_pin(self):
        err = self.usage("--driver", "tedious", "--server-certificate", SELF, self.tgt)
        self.assertIn("driver tedious cannot pin a server certificate", err)

    def test_file_neither_pem_nor_der(self):
        err = self.usage("--server-certificate", self.junk, self.tgt)
        self.assertIn(self.junk, err)
        self.assertIn("neither PEM", err)
        err = self.usage("Server=127.0.0.1,%d;ServerCertificate=%s" % (self.srv.port, self.junk))
        self.assertIn("argument 1", err)
        self.assertIn(self.junk, err)
        err = self.usage("--server-certificate", os.path.join(self.tmp, "missing.pem"), self.tgt)
        self.assertIn("No such file", err)

    def test_freetds_server_certificate_is_a_ca_file(self):
        # the self-signed certificate as FreeTDS's CA file: trusted, validated
        r = self.one("--driver", "freetds", "--encrypt", "mandatory", "--server-certificate",
                     SELF, self.tgt, code=0)
        self.assertTrue(r["client"]["validates"])
        # the kit's root as "ServerCertificate": a CA file that does not vouch for this server
        # (a pin would have been compared and called pin_mismatch)
        r = self.one("--driver", "freetds", "--encrypt", "mandatory", "--server-certificate",
                     CA, self.tgt, code=1)
        self.assertEqual(r["diagnosis"]["code"], "untrusted_chain")


class TrustedServer(PinCase):
    """A chain the client trusts (--ca-file with the kit's root) and a pin that differs."""

    def test_sqlclient_ignores_the_pin_when_the_chain_passes(self):
        with FakeSQL({"cert": "good"}, certs_dir=CERTS, binary=FAKESQL) as srv:
            tgt = "127.0.0.1,%d" % srv.port
            r = self.one("--ca-file", CA, "--server-certificate", SELF, tgt, code=0)
            self.assertEqual(r["status"], "ok")
            # the file differs: said as info, since SqlClient does not compare it here
            pins = [f for f in r["findings"] if f["code"] == "pin_mismatch"]
            self.assertEqual(len(pins), 1, r["findings"])
            self.assertEqual(pins[0]["severity"], "info")
            self.assertIn(fingerprint(SELF), pins[0]["message"])
            r = self.one("--driver", "go-mssqldb", "--encrypt", "mandatory", "--ca-file", CA,
                         "--server-certificate", SELF, tgt, code=1)
            self.assert_mismatch(r, SELF, GO_PIN)


class StrictServer(PinCase):
    """TDS 8.0: ODBC 18 and JDBC read the pin."""

    def test_odbc18_and_jdbc_strict(self):
        with FakeSQL({"cert": "selfsigned", "strict": 1}, certs_dir=CERTS,
                     binary=FAKESQL) as srv:
            odbc = ("Driver={ODBC Driver 18 for SQL Server};Server=127.0.0.1,%d;Encrypt=strict;"
                    "ServerCertificate=%%s" % srv.port)
            jdbc = "jdbc:sqlserver://127.0.0.1:%d;encrypt=strict;serverCertificate=%%s" % srv.port
            for s in (odbc, jdbc):
                with self.subTest(s=s):
                    r = self.one(s % SELF, code=0)
                    self.assertEqual(r["mode"], "tds8")
                    r = self.one(s % GOOD, code=1)
                    self.assertEqual(r["diagnosis"]["code"], "pin_mismatch")
                    self.assertIn(fingerprint(GOOD), r["diagnosis"]["cause"])


class Sqlcmd(PinCase):
    """Both tools' command lines end to end: ODBC sqlcmd 18 (the seed's form, -N[s|m|o]) reads as
    odbc18, go-sqlcmd (-N VALUE, --encrypt-connection, -J) as go-mssqldb."""

    def test_both_tools(self):
        with FakeSQL({"cert": "selfsigned"}, certs_dir=CERTS, binary=FAKESQL) as srv:
            s = "sqlcmd -S 127.0.0.1,%d" % srv.port
            r = self.one(s + " -N -C", code=0)  # the seed's form: ODBC sqlcmd, trusted
            self.assertEqual(r["client"]["driver"], "odbc18")
            self.assertEqual(r["client"]["encrypt"], "mandatory")
            r = self.one(s, code=1)             # ODBC sqlcmd 18 validates by default
            self.assertEqual(r["client"]["driver"], "odbc18")
            self.assertEqual(r["diagnosis"]["code"], "untrusted_chain")
            r = self.one(s + " -No", code=0)    # login-only TLS, not validated
            self.assertEqual(r["client"]["encrypt"], "optional")
            self.assertFalse(r["client"]["validates"])
            for line in (s + " -N m", s + " --encrypt-connection mandatory", s + " -N true"):
                with self.subTest(line=line):
                    r = self.one(line, code=1)  # go-sqlcmd: any -N validates
                    self.assertEqual(r["client"]["driver"], "go-mssqldb")
                    self.assertEqual(r["client"]["encrypt"], "mandatory")
                    self.assertNotEqual(r["diagnosis"]["code"], "ok")
            r = self.one(s + " -N o", code=1)   # go-mssqldb validates even login-only TLS
            self.assertEqual(r["client"]["driver"], "go-mssqldb")
            self.assertTrue(r["client"]["validates"])
            r = self.one(s + " -N m -J " + SELF, code=0)
            self.assertEqual(r["status"], "ok")
            r = self.one(s + " -N true -J " + GOOD, code=1)
            self.assert_mismatch(r, GOOD, GO_PIN)
            err = self.usage(s + " -J " + SELF)
            self.assertIn("The -J parameter requires encryption to be enabled", err)
            err = self.usage(s + " -N maybe")
            self.assertIn("'-N maybe': Unexpected argument", err)
            err = self.usage("/opt/mssql-tools18/bin/sqlcmd -S db1 -N strict")
            self.assertIn("'strict': Unexpected argument", err)

    def test_strict(self):
        with FakeSQL({"cert": "selfsigned", "strict": 1}, certs_dir=CERTS,
                     binary=FAKESQL) as srv:
            s = "sqlcmd -S 127.0.0.1,%d" % srv.port
            for line in (s + " -N strict -J " + SELF, s + " --encrypt-connection=s -J " + SELF):
                with self.subTest(line=line):
                    r = self.one(line, code=0)
                    self.assertEqual(r["mode"], "tds8")
                    self.assertEqual(r["client"]["driver"], "go-mssqldb")
            r = self.one(s + " -Ns", code=1)   # ODBC sqlcmd strict: validated, no pin
            self.assertEqual(r["mode"], "tds8")
            self.assertEqual(r["client"]["driver"], "odbc18")
            self.assertEqual(r["diagnosis"]["code"], "untrusted_chain")


class ServeModules(PinCase):
    """tdsprobe serve: server_certificate is a module key like every client option; a module
    whose file is neither PEM nor DER stops the exporter at start (exit 64, naming the file)."""

    def test_module_pin(self):
        conf = os.path.join(self.tmp, "modules.conf")
        with open(conf, "w") as f:
            f.write("[module pinned]\nserver_certificate = %s\n"
                    "[module wrongpin]\nserver_certificate = %s\n" % (SELF, GOOD))
        with FakeSQL({"cert": "selfsigned"}, certs_dir=CERTS, binary=FAKESQL) as srv:
            proc = subprocess.Popen([TDSPROBE, "serve", "--listen", "127.0.0.1:0", "--config",
                                     conf, "--timeout", "5"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
            try:
                m = re.match(r"^tdsprobe serve: listening on (http://[0-9.]+:\d+)/$",
                             proc.stdout.readline().strip())
                self.assertIsNotNone(m)
                bodies = {}
                for module in ("pinned", "wrongpin", "default"):
                    q = urllib.parse.urlencode({"target": "127.0.0.1:%d" % srv.port,
                                                "module": module})
                    with urllib.request.urlopen("%s/probe?%s" % (m.group(1), q),
                                                timeout=30) as r:
                        bodies[module] = r.read().decode()
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
                proc.stdout.close()
        self.assertRegex(bodies["pinned"], r'(?m)^tdsprobe_success\{target="[^"]+"\} 1$')
        self.assertRegex(bodies["wrongpin"],
                         r'(?m)^tdsprobe_diagnosis_info\{[^}]*code="pin_mismatch"\} 1$')
        self.assertRegex(bodies["default"],
                         r'(?m)^tdsprobe_diagnosis_info\{[^}]*code="untrusted_chain"\} 1$')

    def test_module_bad_file(self):
        conf = os.path.join(self.tmp, "bad.conf")
        with open(conf, "w") as f:
            f.write("[module m]\nserver_certificate = %s\n" % self.junk)
        p = subprocess.run([TDSPROBE, "serve", "--config", conf], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn(self.junk, p.stderr)
        self.assertIn("neither PEM", p.stderr)


if __name__ == "__main__":
    unittest.main()
