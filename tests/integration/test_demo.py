#!/usr/bin/env python3
"""scripts/demo.sh, the README's first command: it shows its five cases and leaves no process
behind, also when it is stopped half-way.

The demo runs in a session of its own; every process it starts (its five fakesql servers,
tdsprobe) carries that session id, also after the demo is gone and they were handed to init. So
"nothing survives" is: no process in /proc has the demo's session id once it has exited.

Environment: TDSPROBE_BUILD_DIR, the build tree whose tdsprobe and fakesql the demo uses (set
by CTest; the demo then builds nothing).
"""
import json
import os
import signal
import subprocess
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
BUILD = os.environ.get("TDSPROBE_BUILD_DIR", os.path.join(ROOT, "build"))


def session_members(sid):
    """{pid: command name} of every process whose session id is sid."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid:  # state ppid pgrp session
            out[int(entry)] = comm
    return out


class Demo(unittest.TestCase):
    def start(self, *args):
        env = dict(os.environ, TDSPROBE_BUILD_DIR=BUILD, NO_COLOR="1")
        self.proc = subprocess.Popen([DEMO, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env,
                                     start_new_session=True)
        self.fakesql_seen = set()

    def watch(self, until):
        """Notes the fakesql processes of the demo's session until until() or 120 s."""
        deadline = time.monotonic() + 120
        while not until() and time.monotonic() < deadline:
            members = session_members(self.proc.pid)
            self.fakesql_seen |= {p for p, comm in members.items() if comm == "fakesql"}
            time.sleep(0.02)

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
        for pid in session_members(self.proc.pid):  # what a failed test found, not to linger
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def assertNothingLeft(self):
        time.sleep(0.2)  # a process being killed may need a moment to be reaped
        left = session_members(self.proc.pid)
        self.assertEqual(left, {}, "processes the demo left running")
        self.assertTrue(self.fakesql_seen, "no fakesql was ever seen: the test proved nothing")
        alive = [p for p in self.fakesql_seen if os.path.exists("/proc/%d" % p)]
        self.assertEqual(alive, [])

    def test_whole_demo(self):
        self.start("--json")
        self.watch(lambda: self.proc.poll() is not None)
        out, err = self.proc.communicate(timeout=120)
        self.assertEqual(self.proc.returncode, 0, err)
        for n in range(1, 6):
            self.assertIn("=== %d. " % n, err)
        codes = [json.loads(line)["diagnosis"]["code"] for line in out.splitlines() if line]
        self.assertEqual(codes, ["ok", "untrusted_chain", "name_mismatch", "forcibly_closed",
                                 "forcibly_closed"])
        self.assertNothingLeft()

    def test_stopped_half_way(self):
        self.start()
        self.watch(lambda: len(self.fakesql_seen) >= 3 or self.proc.poll() is not None)
        self.assertIsNone(self.proc.poll(), "the demo ended before it could be stopped")
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=60)
        self.assertEqual(self.proc.returncode, 143, err)
        self.assertNotIn("=== 5. ", err)
        self.assertNothingLeft()

if __name__ == "__main__":
    unittest.main()
