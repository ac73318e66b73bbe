#!/usr/bin/env python3
"""Integration tests for --client-os (issue 10 item 3, issue 14's strict TLS 1.3 decision): the
client's OS picks its driver's TLS stack, and the stack decides the TLS versions offered, what
signatures and keys pass, and whether strict mode offers TLS 1.3. Each case runs the built
tdsprobe against fakesql and checks the verdict, the client's words and the one line that says
what another OS would get. docs/client-platforms.md has the sources.

Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS (set by CTest).
"""
import json
import os
import subprocess
import sys
import unittest

from fakesql import FakeSQL
import tdsprobe_schema

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
CA = os.path.join(CERTS, "ca.pem")

SCHANNEL_MISMATCH = ("The client and server cannot communicate, because they do not possess a "
                     "common algorithm.")
OPENSSL_UNSUPPORTED = "error:0A000102:SSL routines::unsupported protocol"
TLS10_SERVER = {"cert": "good", "tlsprotocols": "1.0", "seclevel": 0}
WIN11_STACK = "Schannel, Windows 11 24H2+ / Server 2025"


def run(*args):
    p = subprocess.run([TDSPROBE, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class ClientOs(unittest.TestCase):
    def probe(self, config, *args, expect_exit):
        with FakeSQL(config, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, out, err = run("--json", *args, "127.0.0.1,%d" % srv.port)
            self.srv_log = srv.log()
        objs = [json.loads(line) for line in out.splitlines() if line.strip()]
        self.assertEqual(len(objs), 1, out + err)
        if tdsprobe_schema.available():
            tdsprobe_schema.check_records(objs)
        self.assertEqual(rc, expect_exit, json.dumps(objs[0], indent=1))
        return objs[0]

    def text(self, config, *args):
        with FakeSQL(config, certs_dir=CERTS, binary=FAKESQL) as srv:
            rc, out, err = run(*args, "127.0.0.1,%d" % srv.port)
        return rc, out

    # ---- a TLS 1.0-only server: OK (with a warning) on Windows 10, a failure on Linux ----

    def test_tls10_server_sqlclient_windows_connects_with_warning(self):
        r = self.probe(TLS10_SERVER, "--ca-file", CA, "--client-os", "windows", expect_exit=0)
        self.assertEqual(r["client"]["os"], "windows")
        self.assertEqual(r["client"]["tls_stack"], "Schannel, Windows 10 / Server 2019")
        self.assertEqual((r["client"]["tls_min"], r["client"]["tls_max"]), ("TLSv1.0", "TLSv1.2"))
        self.assertEqual(r["diagnosis"]["code"], "ok")
        self.assertEqual(r["tls"]["version"], "TLSv1.0")
        self.assertIn("old_tls_version", [f["code"] for f in r["findings"]])
        self.assertTrue(any(f["severity"] == "warning" for f in r["findings"]))
        line = r["diagnosis"]["other_platforms"]
        self.assertIn("On Linux (TLS stack: OpenSSL 3, security level 2) sqlclient refuses the "
                      "server's TLSv1.0: protocol_mismatch there", line)
        # .NET on macOS (Secure Transport) still offers TLS 1.0: the same verdict, not named
        self.assertNotIn("On macOS", line)
        self.assertNotIn("\n", line)

    def test_tls10_server_sqlclient_linux_fails_in_openssl_words(self):
        r = self.probe(TLS10_SERVER, "--ca-file", CA, "--client-os", "linux", expect_exit=1)
        self.assertEqual(r["client"]["os"], "linux")
        self.assertEqual((r["client"]["tls_min"], r["client"]["tls_max"]), ("TLSv1.2", "TLSv1.2"))
        self.assertEqual(r["diagnosis"]["code"], "protocol_mismatch")
        self.assertIn(OPENSSL_UNSUPPORTED, r["diagnosis"]["message"])
        self.assertIn("OpenSSL 3, security level 2", r["diagnosis"]["cause"])
        self.assertIn("TLSv1.0", r["diagnosis"]["cause"])
        self.assertIn("On Windows (TLS stack: Schannel, Windows 10 / Server 2019) sqlclient "
                      "accepts the server's TLSv1.0, so there is no protocol_mismatch there "
                      "(--client-os windows judges it).", r["diagnosis"]["other_platforms"])

    def test_tls10_server_odbc18_words_per_os(self):
        r = self.probe(TLS10_SERVER, "--ca-file", CA, "--driver", "odbc18", "--client-os",
                       "linux", expect_exit=1)
        self.assertEqual(r["diagnosis"]["message"],
                         "[Microsoft][ODBC Driver 18 for SQL Server]SSL Provider: "
                         "[" + OPENSSL_UNSUPPORTED + "]")
        r = self.probe(TLS10_SERVER, "--ca-file", CA, "--driver", "odbc18", "--client-os",
                       "windows", expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.0")

    def test_tls10_server_same_stack_everywhere_no_other_platform_line(self):
        # tedious brings Node's OpenSSL on every OS: the verdict is the same everywhere
        for os_name in ("windows", "linux"):
            r = self.probe(TLS10_SERVER, "--ca-file", CA, "--driver", "tedious", "--client-os",
                           os_name, expect_exit=1)
            self.assertEqual(r["diagnosis"]["code"], "protocol_mismatch")
            self.assertIsNone(r["diagnosis"]["other_platforms"])

    def test_explicit_tls_min_beats_the_stack(self):
        # a Linux client whose OpenSSL was configured down (SECLEVEL=0, MinProtocol TLSv1)
        r = self.probe(TLS10_SERVER, "--ca-file", CA, "--client-os", "linux", "--tls-min", "1.0",
                       expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.0")

    def test_text_report_client_line_and_other_os_line(self):
        rc, out = self.text(TLS10_SERVER, "--ca-file", CA, "--client-os", "linux")
        self.assertEqual(rc, 1, out)
        self.assertIn("sqlclient on Linux (TLS stack: OpenSSL 3, security level 2), "
                      "Encrypt=mandatory", out)
        other = [l for l in out.splitlines() if l.startswith("Other OS")]
        self.assertEqual(len(other), 1, out)
        self.assertIn("On Windows", other[0])

    # ---- SHA-1 signature and RSA-1024 key: Schannel accepts, OpenSSL 3 refuses ----

    def test_sha1_leaf(self):
        conf = {"cert": "sha1", "seclevel": 0}
        r = self.probe(conf, "--ca-file", CA, "--client-os", "linux", expect_exit=1)
        self.assertEqual(r["diagnosis"]["code"], "weak_signature")
        self.assertIn("On Windows", r["diagnosis"]["other_platforms"])
        self.assertIn("accepts the chain's SHA-1 signature", r["diagnosis"]["other_platforms"])
        r = self.probe(conf, "--ca-file", CA, "--client-os", "windows", expect_exit=0)
        self.assertEqual(r["diagnosis"]["code"], "ok")
        weak = [f for f in r["findings"] if f["code"] == "weak_signature"]
        self.assertEqual([f["severity"] for f in weak], ["warning"])
        self.assertIn("Schannel", weak[0]["message"])
        self.assertIn("refuses the chain's SHA-1 signature: weak_signature there",
                      r["diagnosis"]["other_platforms"])
        # Node's OpenSSL 3 at level 1 refuses SHA-1 in its own words
        r = self.probe(conf, "--ca-file", CA, "--driver", "tedious", expect_exit=1)
        self.assertEqual(r["diagnosis"]["code"], "weak_signature")
        self.assertIn("CA signature digest algorithm too weak", r["diagnosis"]["message"])

    def test_rsa1024_leaf(self):
        conf = {"cert": "rsa1024", "seclevel": 0}
        r = self.probe(conf, "--ca-file", CA, "--client-os", "linux", expect_exit=1)
        self.assertEqual(r["diagnosis"]["code"], "weak_key")
        r = self.probe(conf, "--ca-file", CA, "--client-os", "windows", expect_exit=0)
        self.assertEqual(r["diagnosis"]["code"], "ok")
        self.assertIn("weak_key", [f["code"] for f in r["findings"]])
        # JSSE refuses RSA keys under 1024 bits only: the same on every OS, no other-OS line
        r = self.probe(conf, "--ca-file", CA, "--driver", "jdbc", expect_exit=0)
        self.assertIsNone(r["diagnosis"]["other_platforms"])

    # ---- strict: TLS 1.3 only where the stack has it, and never past --tls-max ----

    def test_strict_windows10_schannel_negotiates_tls12(self):
        conf = {"cert": "good", "strict": 1, "tlsprotocols": "1.2,1.3"}
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "windows",
                       expect_exit=0)
        self.assertEqual(r["mode"], "tds8")
        self.assertEqual(r["tls"]["version"], "TLSv1.2")
        self.assertEqual(r["client"]["tls_max"], "TLSv1.2")
        self.assertEqual(r["server"]["version"], "16.0.1000")  # PRELOGIN inside TLS 1.2
        # go-mssqldb brings Go's crypto/tls: TLS 1.3 on Windows too
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "windows",
                       "--driver", "go-mssqldb", expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.3")

    def test_strict_linux_negotiates_tls13_and_tls_max_stops_it(self):
        conf = {"cert": "good", "strict": 1, "tlsprotocols": "1.2,1.3"}
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "linux",
                       expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.3")
        self.assertEqual(r["client"]["tls_max"], "TLSv1.3")
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "linux",
                       "--tls-max", "1.2", expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.2")
        self.assertEqual(r["client"]["tls_max"], "TLSv1.2")
        self.assertIsNotNone(r["server"])  # the TLS 1.2 way: PRELOGIN inside TLS

    def test_strict_tls13_only_server_windows10_fails_linux_connects(self):
        conf = {"cert": "good", "strict": 1, "tlsprotocols": "1.3"}
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "linux",
                       expect_exit=0)
        self.assertIn("offers no TLS 1.3, so strict mode needs the server's TLS 1.2 there",
                      r["diagnosis"]["other_platforms"])
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "windows",
                       expect_exit=1)
        self.assertEqual(r["diagnosis"]["code"], "forcibly_closed")
        self.assertEqual(r["tls"]["alert"], "protocol_version")
        self.assertIn("The client offers no TLS 1.3: its TLS stack on Windows, Schannel, "
                      "Windows 10 / Server 2019, has none.", r["diagnosis"]["cause"])
        self.assertIn("Schannel from Windows 11 / Server 2022", r["diagnosis"]["fix"])
        self.assertNotIn("Make the client support TLS 1.2", r["diagnosis"]["fix"])

    # ---- Windows 11 24H2+ / Server 2025: Schannel with TLS 1.3, without TLS 1.0/1.1 ----

    def test_strict_tls13_only_server_windows11_connects_over_tls13(self):
        conf = {"cert": "good", "strict": 1, "tlsprotocols": "1.3"}
        for driver in ("sqlclient", "odbc18"):
            r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--driver", driver,
                           "--client-os", "windows11", expect_exit=0)
            self.assertEqual(r["client"]["os"], "windows11")
            self.assertEqual(r["client"]["tls_stack"], WIN11_STACK)
            self.assertEqual((r["client"]["tls_min"], r["client"]["tls_max"]),
                             ("TLSv1.2", "TLSv1.3"))
            self.assertEqual(r["mode"], "tds8")
            self.assertEqual(r["diagnosis"]["code"], "ok")
            self.assertEqual(r["tls"]["version"], "TLSv1.3")
            line = r["diagnosis"]["other_platforms"]
            self.assertIn("On Windows (TLS stack: Schannel, Windows 10 / Server 2019) %s offers "
                          "no TLS 1.3, so strict mode needs the server's TLS 1.2 there "
                          "(--client-os windows judges it)." % driver, line)
            self.assertNotIn("On Windows 11", line)
            self.assertNotIn("On Linux", line)  # OpenSSL 3 has TLS 1.3 too

    def test_strict_tls13_only_server_windows10_line_names_windows11(self):
        conf = {"cert": "good", "strict": 1, "tlsprotocols": "1.3"}
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "windows",
                       expect_exit=1)
        self.assertEqual(r["diagnosis"]["code"], "forcibly_closed")
        line = r["diagnosis"]["other_platforms"]
        self.assertIn("On Windows 11 (TLS stack: " + WIN11_STACK + ") sqlclient offers TLS 1.3, "
                      "which this strict server needs, so there is no forcibly_closed there "
                      "(--client-os windows11 judges it).", line)
        self.assertIn("On Linux (TLS stack: OpenSSL 3, security level 2) sqlclient offers "
                      "TLS 1.3", line)
        self.assertNotIn("On macOS", line)  # Secure Transport has no TLS 1.3 either
        self.assertIn("--client-os windows11 or linux", r["diagnosis"]["fix"])

    def test_strict_windows11_prefers_tls13_and_tls_max_stops_it(self):
        conf = {"cert": "good", "strict": 1, "tlsprotocols": "1.2,1.3"}
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "windows11",
                       expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.3")
        r = self.probe(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os", "windows11",
                       "--tls-max", "1.2", expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.2")
        self.assertEqual(r["client"]["tls_max"], "TLSv1.2")

    def test_tds7_windows11_stays_at_tls12(self):
        # TDS 7.x: TLS inside PRELOGIN packets, TLS 1.2 at most on every stack
        r = self.probe({"cert": "good", "tlsprotocols": "1.2,1.3"}, "--ca-file", CA,
                       "--client-os", "windows11", expect_exit=0)
        self.assertEqual(r["mode"], "tds7")
        self.assertEqual((r["client"]["tls_min"], r["client"]["tls_max"]), ("TLSv1.2", "TLSv1.2"))
        self.assertEqual(r["tls"]["version"], "TLSv1.2")

    def test_tls10_server_windows11_refuses_in_schannel_words(self):
        r = self.probe(TLS10_SERVER, "--ca-file", CA, "--client-os", "windows11", expect_exit=1)
        self.assertEqual(r["diagnosis"]["code"], "protocol_mismatch")
        self.assertIn(SCHANNEL_MISMATCH, r["diagnosis"]["message"])
        self.assertIn(WIN11_STACK, r["diagnosis"]["cause"])
        line = r["diagnosis"]["other_platforms"]
        self.assertIn("On Windows (TLS stack: Schannel, Windows 10 / Server 2019) sqlclient "
                      "accepts the server's TLSv1.0, so there is no protocol_mismatch there "
                      "(--client-os windows judges it).", line)
        self.assertIn("On macOS", line)  # Secure Transport still offers TLS 1.0
        self.assertNotIn("On Linux", line)  # refuses it too
        # Windows 11 before 24H2 and Server 2022 still offer TLS 1.0: --tls-min 1.0
        r = self.probe(TLS10_SERVER, "--ca-file", CA, "--client-os", "windows11", "--tls-min",
                       "1.0", expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.0")

    def test_tls10_server_windows10_line_names_windows11(self):
        r = self.probe(TLS10_SERVER, "--ca-file", CA, "--client-os", "windows", expect_exit=0)
        self.assertIn("On Windows 11 (TLS stack: " + WIN11_STACK + ") sqlclient refuses the "
                      "server's TLSv1.0: protocol_mismatch there (--client-os windows11 judges "
                      "it).", r["diagnosis"]["other_platforms"])

    def test_windows11_same_certificate_limits_as_windows10(self):
        # SHA-1 from a private CA and RSA-1024: kept as Windows 10's Schannel (unverified)
        for conf, code in (({"cert": "sha1", "seclevel": 0}, "weak_signature"),
                           ({"cert": "rsa1024", "seclevel": 0}, "weak_key")):
            r = self.probe(conf, "--ca-file", CA, "--client-os", "windows11", expect_exit=0)
            self.assertEqual(r["diagnosis"]["code"], "ok")
            self.assertEqual([f["severity"] for f in r["findings"] if f["code"] == code],
                             ["warning"])
            self.assertNotIn("On Windows (", r["diagnosis"]["other_platforms"])
            self.assertIn("On Linux", r["diagnosis"]["other_platforms"])

    def test_windows11_text_report(self):
        conf = {"cert": "good", "strict": 1, "tlsprotocols": "1.3"}
        rc, out = self.text(conf, "--encrypt", "strict", "--ca-file", CA, "--client-os",
                            "windows11")
        self.assertEqual(rc, 0, out)
        self.assertIn("sqlclient on Windows 11 (TLS stack: " + WIN11_STACK + "), "
                      "Encrypt=strict", out)
        other = [l for l in out.splitlines() if l.startswith("Other OS")]
        self.assertEqual(len(other), 1, out)
        self.assertIn("On Windows (", other[0])

    # ---- the option itself ----

    def test_option_spellings(self):
        rc, out, err = run("--client-os", "solaris", "db1")
        self.assertEqual(rc, 64)
        self.assertIn("client_os takes windows, linux, macos or windows11, not 'solaris'", err)
        rc, out, err = run("--dry-run", "--client-os", "MacOS", "--encrypt", "strict", "db1")
        self.assertEqual(rc, 0, err)
        self.assertIn("driver sqlclient on macos, Encrypt=strict", out)
        self.assertIn("TLS TLSv1.0-TLSv1.2", out)  # Secure Transport: no TLS 1.3
        rc, out, err = run("--dry-run", "--client-os", "Windows11", "--encrypt", "strict", "db1")
        self.assertEqual(rc, 0, err)
        self.assertIn("driver sqlclient on windows11, Encrypt=strict", out)
        self.assertIn("TLS TLSv1.2-TLSv1.3", out)

    def test_default_is_the_host_os(self):
        want = {"linux": "linux", "darwin": "macos", "win32": "windows"}[sys.platform]
        r = self.probe({"cert": "good"}, "--ca-file", CA, expect_exit=0)
        self.assertEqual(r["client"]["os"], want)


if __name__ == "__main__":
    unittest.main()
