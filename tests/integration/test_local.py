#!/usr/bin/env python3
"""Limits of the probe's own machine and TLS library are never the server's fault (issue 10,
sections 5 and 6).

- File descriptors: tdsprobe probes 150 healthy targets (one fakesql on 0.0.0.0, reached as
  127.0.0.1 .. 127.0.0.150) under a low RLIMIT_NOFILE set in preexec_fn. With the hard limit
  low too (it cannot be raised) no target may come back connection_refused: each is probed OK
  or gets local_limit, and stderr says once that the concurrency was lowered and why. With
  only the soft limit low, tdsprobe raises it and every target is OK. Under the minimum the run
  stops with exit 2 and says why (no crash).
- No route: in a fresh network namespace (unshare --net; --map-root-user when not root): no route
  at all, loopback down. An IPv4 target fails with ENETUNREACH (no_route) and an IPv6 one with
  EADDRNOTAVAIL (local_limit); exit 2, Nagios UNKNOWN.
- A Certificate message over 16 KB (tests/certs "hugesan": 600 SANs, about 29 KB, two TLS
  records): mbedTLS 2.28 cannot reassemble it; the chain is captured from the records,
  fingerprint and subject match the kit's files, and the verdict says the probe's TLS library
  stopped where OpenSSL and Schannel go on (tls_library_limit), or the certificate's own
  verdict when the client stops there first. Over TDS 8.0 the same on TLS 1.2; on TLS 1.3
  (tdsprobe's own client) the handshake completes.

Every record is validated against docs/tdsprobe.schema.json.
Environment: TDSPROBE, FAKESQL, TDSPROBE_CERTS, PYTHONPATH=tests/lib (set by CTest).
"""
import collections
import json
import os
import resource
import shutil
import subprocess
import sys
import unittest

import jsonschema

from fakesql import FakeSQL

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
CA = os.path.join(CERTS, "ca.pem")
SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                      "tdsprobe.schema.json")
N_TARGETS = 150
LOCAL_TEXT = "not an answer from the server"


def nofile(soft, hard):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return set_limit


def run(args, preexec_fn=None, wrapper=(), timeout=120):
    return subprocess.run(list(wrapper) + [TDSPROBE] + list(args), capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec_fn)


def openssl_sha256(pem_path):
    out = subprocess.run(["openssl", "x509", "-in", pem_path, "-noout", "-fingerprint",
                          "-sha256"], capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].replace(":", "").lower()


class Base(unittest.TestCase):
    validator = None

    @classmethod
    def setUpClass(cls):
        with open(SCHEMA) as f:
            Base.validator = jsonschema.Draft202012Validator(json.load(f))

    def records(self, p):
        out = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        for r in out:
            errors = list(self.validator.iter_errors(r))
            self.assertEqual(errors, [], "record does not match the schema: %s" % r)
        return out

    def assert_no_crash(self, p):
        self.assertGreaterEqual(p.returncode, 0, "killed by a signal: %s" % p.stderr)
        self.assertNotIn("Sanitizer", p.stderr)
        self.assertNotIn("runtime error:", p.stderr)


class FileDescriptors(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.srv = FakeSQL({"cert": "good", "ipaddress": "0.0.0.0"}, certs_dir=CERTS,
                          binary=FAKESQL).__enter__()
        cls.targets = ["127.0.0.%d,%d" % (i, cls.srv.port) for i in range(1, N_TARGETS + 1)]

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def probe(self, soft, hard):
        p = run(["--json", "--ca-file", CA, "--host-name-in-certificate", "localhost"] +
                self.targets, preexec_fn=nofile(soft, hard))
        self.assert_no_crash(p)
        return p, self.records(p)

    def test_hard_limit_low(self):
        p, recs = self.probe(64, 64)
        self.assertEqual(len(recs), N_TARGETS, p.stderr)
        codes = collections.Counter(r["diagnosis"]["code"] for r in recs)
        self.assertNotIn("connection_refused", codes)
        self.assertEqual(set(codes) - {"ok", "local_limit"}, set(), codes)
        for r in recs:
            if r["diagnosis"]["code"] == "local_limit":
                self.assertIn(LOCAL_TEXT, r["diagnosis"]["cause"])
        self.assertEqual(p.returncode, 0 if codes["local_limit"] == 0 else 2)
        # said once, with the limit and the concurrency it allows
        self.assertEqual(p.stderr.count("RLIMIT_NOFILE"), 1, p.stderr)
        self.assertIn("is 64, which leaves room for", p.stderr)
        self.assertIn("instead of 256", p.stderr)

    def test_soft_limit_low_is_raised(self):
        p, recs = self.probe(64, 4096)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(recs), N_TARGETS)
        self.assertEqual({r["diagnosis"]["code"] for r in recs}, {"ok"})
        self.assertNotIn("RLIMIT_NOFILE", p.stderr)  # nothing was lowered

    def test_limit_under_the_minimum(self):
        p = run(["--json", "--ca-file", CA] + self.targets[:3], preexec_fn=nofile(10, 10))
        self.assert_no_crash(p)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("the open-file limit (RLIMIT_NOFILE) is 10 and cannot be raised", p.stderr)
        self.assertIn("needs at least", p.stderr)


class NoRoute(Base):
    """A fresh network namespace has no route and its loopback is down."""

    def netns(self, args):
        unshare = shutil.which("unshare")
        self.assertIsNotNone(unshare, "unshare (util-linux) is needed for this test")
        # root needs no user namespace (and a chroot may not create one); others map to root
        wrapper = [unshare, "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
        check = subprocess.run(wrapper + ["true"], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0,
                         "%s must work here (a network namespace): %s"
                         % (" ".join(wrapper), check.stderr))
        p = run(args, wrapper=wrapper, timeout=60)
        self.assert_no_crash(p)
        return p

    def test_ipv4_no_route(self):
        # 198.51.100.0/24 is TEST-NET-2 (RFC 5737): no route in an empty namespace
        p = self.netns(["--json", "--timeout", "5", "198.51.100.7"])
        self.assertEqual(p.returncode, 2, p.stderr)
        (r,) = self.records(p)
        self.assertEqual(r["diagnosis"]["code"], "no_route")
        self.assertEqual(r["status"], "error")
        self.assertIn("ENETUNREACH", r["diagnosis"]["cause"])
        self.assertIn(LOCAL_TEXT, r["diagnosis"]["cause"])
        self.assertIn("no route to it from the machine running tdsprobe",
                      r["diagnosis"]["message"])
        self.assertIn("Probe from a machine on the client's network", r["diagnosis"]["fix"])

    def test_ipv6_no_local_address(self):
        # 2001:db8::/32 is the documentation prefix (RFC 3849); loopback down: no address
        p = self.netns(["--json", "--timeout", "5", "[2001:db8::7]"])
        self.assertEqual(p.returncode, 2, p.stderr)
        (r,) = self.records(p)
        self.assertEqual(r["diagnosis"]["code"], "local_limit")
        self.assertIn("EADDRNOTAVAIL", r["diagnosis"]["cause"])
        self.assertIn(LOCAL_TEXT, r["diagnosis"]["cause"])

    def test_nagios_unknown(self):
        p = self.netns(["--format", "nagios", "--timeout", "5", "198.51.100.7"])
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("TDSPROBE UNKNOWN"), p.stdout)

    def test_text_report(self):
        p = self.netns(["--timeout", "5", "--no-color", "198.51.100.7"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("no_route", p.stdout)
        self.assertNotIn("actively refused", p.stdout)


class BigCertificateMessage(Base):
    """hugesan: the leaf with 600 SANs; fakesql (OpenSSL) splits its Certificate message."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.srv = FakeSQL({"cert": "hugesan"}, certs_dir=CERTS, binary=FAKESQL).__enter__()
        # the address itself: a bare debootstrap has no /etc/hosts, so "localhost" may not resolve
        cls.target = "127.0.0.1,%d" % cls.srv.port

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def probe(self, *args, expect_exit):
        p = run(["--json", self.target] + list(args))
        self.assert_no_crash(p)
        self.assertEqual(p.returncode, expect_exit, p.stdout + p.stderr)
        (r,) = self.records(p)
        return r

    def assert_chain_captured(self, r):
        self.assertEqual(r["mode"], "tds7")
        self.assertEqual(r["phase"], "handshake")
        chain = r["tls"]["chain"]
        self.assertEqual(len(chain), 2)
        self.assertEqual(chain[0]["sha256"], openssl_sha256(os.path.join(CERTS, "hugesan.crt")))
        self.assertEqual(chain[1]["sha256"], openssl_sha256(os.path.join(CERTS, "int.pem")))
        self.assertIn("CN=localhost", chain[0]["subject"])
        # the report lists the first 32 names (tls_cert's bound); the fingerprint covers all
        self.assertEqual(len(chain[0]["san"]), 32)
        self.assertEqual(chain[0]["san"][0], "DNS:localhost")
        self.assertIn("DNS:listener28.availability-group.tdsprobe.test", chain[0]["san"])

    def test_trusted_chain_library_limit(self):
        r = self.probe("--ca-file", CA, expect_exit=2)
        self.assert_chain_captured(r)
        d = r["diagnosis"]
        self.assertEqual(d["code"], "tls_library_limit")
        self.assertEqual(r["status"], "error")
        self.assertEqual(d["message"], "The probe's TLS library could not finish the "
                                       "handshake; the client's TLS library can.")
        self.assertIn("This probe's TLS library (mbedTLS 2.28) could not finish the handshake: "
                      "the server's Certificate message (", d["cause"])
        self.assertIn("OpenSSL and Schannel clients do", d["cause"])
        self.assertIn("it passes for '127.0.0.1'", d["cause"])
        self.assertNotIn("-0x7080", d["cause"])  # never a bare library error
        self.assertIn("fits one 16 KB record", d["fix"])
        codes = [f["code"] for f in r["findings"]]
        self.assertEqual(codes[0], "tls_library_limit")
        self.assertNotIn("untrusted_chain", codes)

    def test_untrusted_chain_comes_first(self):
        r = self.probe(expect_exit=1)  # the system store does not hold the kit's root
        self.assert_chain_captured(r)
        self.assertEqual(r["diagnosis"]["code"], "untrusted_chain")
        self.assertEqual(r["diagnosis"]["message"],
                         "The certificate chain was issued by an authority that is not trusted.")
        note = [f for f in r["findings"] if f["code"] == "tls_library_limit"]
        self.assertEqual(len(note), 1)
        self.assertEqual(note[0]["severity"], "info")
        self.assertIn("could not finish the handshake", note[0]["message"])

    def test_name_checked_on_the_captured_chain(self):
        r = self.probe("--ca-file", CA, "--host-name-in-certificate", "db9.tdsprobe.test",
                       expect_exit=1)
        self.assertEqual(r["diagnosis"]["code"], "name_mismatch")

    def test_no_validation(self):
        r = self.probe("--trust-server-certificate", expect_exit=2)
        self.assert_chain_captured(r)
        self.assertEqual(r["diagnosis"]["code"], "tls_library_limit")
        self.assertIn("this client does not validate it", r["diagnosis"]["cause"])

    def test_nagios_unknown(self):
        p = run(["--format", "nagios", "--ca-file", CA, self.target])
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("TDSPROBE UNKNOWN"), p.stdout)


class BigCertificateMessageStrict(Base):
    """The same leaf over TDS 8.0: TLS 1.2 goes through mbedTLS (the same limit, the same
    verdict); TLS 1.3 through tdsprobe's own client, which reassembles the message."""

    def probe(self, protocols, expect_exit):
        cfg = {"cert": "hugesan", "strict": 1, "tlsprotocols": protocols}
        with FakeSQL(cfg, certs_dir=CERTS, binary=FAKESQL) as srv:
            p = run(["--json", "--encrypt", "strict", "--ca-file", CA,
                     "127.0.0.1,%d" % srv.port])
        self.assert_no_crash(p)
        self.assertEqual(p.returncode, expect_exit, p.stdout + p.stderr)
        (r,) = self.records(p)
        self.assertEqual(r["mode"], "tds8")
        self.assertEqual(r["tls"]["chain"][0]["sha256"],
                         openssl_sha256(os.path.join(CERTS, "hugesan.crt")))
        return r

    def test_tls12_library_limit(self):
        r = self.probe("1.2", expect_exit=2)
        self.assertEqual(r["tls"]["version"], "TLSv1.2")
        self.assertEqual(r["diagnosis"]["code"], "tls_library_limit")
        self.assertIn("it passes for '127.0.0.1'", r["diagnosis"]["cause"])

    def test_tls13_completes(self):
        r = self.probe("1.2,1.3", expect_exit=0)
        self.assertEqual(r["tls"]["version"], "TLSv1.3")
        self.assertEqual(r["diagnosis"]["code"], "ok")
        self.assertNotIn("tls_library_limit", [f["code"] for f in r["findings"]])

if __name__ == "__main__":
    unittest.main(verbosity=2 if "-v" in sys.argv else 1)
