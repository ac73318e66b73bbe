#!/usr/bin/env python3
"""Hostile input on the command line: a bad target after good ones, bad option values.

A bad target is a usage error (exit 64) that names where it came from (FILE:LINE, or the
argument), and nothing is sent to any target before it: every target is made before the first
probe starts. The good targets point at a listening socket nobody accepts from, so a connection
attempt, had one been made, would sit completed in its backlog. Run under ASan+UBSan in CI: the
bug this guards against was a use-after-free (the engines freed while lookups were pending).

Environment: TDSPROBE (set by CTest).
"""
import os
import socket
import subprocess
import tempfile
import unittest

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
BAD = "Server=x;Encrypt=bogus"


def run(*args, stdin=None):
    p = subprocess.run([TDSPROBE, *args], input=stdin, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


class Listener:
    """A listening socket on 127.0.0.1 that never accepts: connections wait in its backlog."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        return self

    def __exit__(self, *exc):
        self.sock.close()
        return False

    def connections(self):
        """How many connections arrived (and were completed by the kernel)."""
        n = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return n
            conn.close()
            n += 1


class BadTargetAfterGood(unittest.TestCase):
    def assertUsageError(self, rc, out, err, where):
        self.assertNotIn("Sanitizer", err)
        self.assertNotIn("runtime error:", err)
        self.assertEqual(rc, 64, err)
        self.assertIn("tdsprobe: %s: bad target: " % where, err)
        self.assertIn("Encrypt", err)
        self.assertEqual(out, "", "no target was reported")

    def good_targets(self, port):
        # A name (its lookup is what was pending when the engines were freed) and an address
        # (connected at once when added).
        return ["localhost,%d" % port, "127.0.0.1,%d" % port]

    def test_argument(self):
        with Listener() as hole:
            rc, out, err = run(*self.good_targets(hole.port), BAD)
            self.assertUsageError(rc, out, err, "argument 3")
            self.assertEqual(hole.connections(), 0, "a connection was made")

    def test_file(self):
        with Listener() as hole, tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "fleet.txt")
            with open(path, "w") as f:
                f.write("# fleet\n%s\n\n%s\n%s\n" % (*self.good_targets(hole.port), BAD))
            rc, out, err = run("-f", path)
            self.assertUsageError(rc, out, err, path + ":5")
            self.assertEqual(hole.connections(), 0, "a connection was made")

    def test_stdin_and_arguments(self):
        with Listener() as hole:
            good = self.good_targets(hole.port)
            rc, out, err = run("-f", "-", good[0], stdin="%s\n%s\n" % (good[1], BAD))
            self.assertUsageError(rc, out, err, "stdin:2")
            self.assertEqual(hole.connections(), 0, "a connection was made")

    def test_bad_argument_with_good_file(self):
        with Listener() as hole, tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "fleet.txt")
            with open(path, "w") as f:
                f.write("\n".join(self.good_targets(hole.port)) + "\n")
            rc, out, err = run("-f", path, "127.0.0.2,%d" % hole.port, BAD)
            self.assertUsageError(rc, out, err, "argument 2")
            self.assertEqual(hole.connections(), 0, "a connection was made")

    def test_unreadable_trust_store_in_a_later_target(self):
        # A CA file that exists but holds no certificate: the engine would refuse it only when
        # the target is added, after the ones before it had started.
        with Listener() as hole, tempfile.TemporaryDirectory() as tmp:
            junk = os.path.join(tmp, "junk.pem")
            with open(junk, "w") as f:
                f.write("not a certificate\n")
            cs = "jdbc:sqlserver://127.0.0.1:%d;encrypt=true;trustStore=%s" % (hole.port, junk)
            rc, out, err = run(*self.good_targets(hole.port), cs)
            self.assertNotIn("Sanitizer", err)
            self.assertEqual(rc, 64, err)
            self.assertIn("tdsprobe: argument 3: CA file %s holds no certificate" % junk, err)
            self.assertEqual(out, "")
            self.assertEqual(hole.connections(), 0, "a connection was made")
            rc, out, err = run("--ca-file", junk, "127.0.0.1,%d" % hole.port)
            self.assertEqual(rc, 64, err)
            self.assertIn("tdsprobe: --ca-file: CA file %s holds no certificate" % junk, err)
            self.assertEqual(hole.connections(), 0, "a connection was made")

    def test_dry_run_stops_at_the_bad_target(self):
        rc, out, err = run("--dry-run", "db1", BAD, "db2")
        self.assertEqual(rc, 64, err)
        self.assertIn("tdsprobe: argument 2: bad target: ", err)
        self.assertIn("db1\n", out)
        self.assertNotIn("db2", out)


class OptionValues(unittest.TestCase):
    """Each front end refuses a bad value of each numeric option, naming it (the rules and every
    refusal are unit-tested in test_probe_options; this checks each option goes through them)."""

    CLI = ["timeout", "concurrency", "threads", "warn-days", "crit-days",
           "audit-max-connections", "audit-pause", "browser-port"]
    SERVE = ["timeout", "max-concurrency"]

    def test_cli(self):
        for name in self.CLI:
            for bad in ("nan", "inf", "-1", "0x10", "5s", "99999999999999999999"):
                with self.subTest(option=name, value=bad):
                    rc, out, err = run("--" + name, bad, "--dry-run", "db1")
                    self.assertEqual(rc, 64, err)
                    self.assertIn("tdsprobe: --%s takes " % name, err)
                    self.assertIn(", not '%s'" % bad, err)
                    self.assertEqual(out, "")

    def test_serve(self):
        for name in self.SERVE:
            for bad in ("nan", "inf", "-1", "0", "1e3"):
                with self.subTest(option=name, value=bad):
                    rc, out, err = run("serve", "--" + name, bad, "--listen", "127.0.0.1:0")
                    self.assertEqual(rc, 64, err)
                    self.assertIn("tdsprobe serve: --%s takes " % name, err)
                    self.assertEqual(out, "", "it must not listen")
        for bad in ("127.0.0.1:nan", "127.0.0.1:-1", "127.0.0.1:65536", "127.0.0.1:", "1.2.3:80",
                    "127.0.0.1:+80", "127.0.0.1: 80"):
            with self.subTest(listen=bad):
                rc, out, err = run("serve", "--listen", bad)
                self.assertEqual(rc, 64, err)
                self.assertIn("tdsprobe serve: --listen takes ADDR:PORT", err)
                self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main()
