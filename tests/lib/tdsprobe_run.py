"""The built tdsprobe as the integration tests run it.

Where the binaries and the certificate kit are (CTest sets TDSPROBE, FAKESQL and TDSPROBE_CERTS;
the defaults fit a build in ./build), the client messages the seed pins word for word, and one
run with --json whose every record is checked against docs/tdsprobe.schema.json (when
python3-jsonschema is installed; tests/integration/test_schema.py requires it).
"""
import json
import os
import socket
import subprocess

import tdsprobe_schema

TDSPROBE = os.environ.get("TDSPROBE", "build/probe/tdsprobe")
FAKESQL = os.environ.get("FAKESQL", "build/tests/fakesql/fakesql")
CERTS = os.environ.get("TDSPROBE_CERTS", "build/certs")
CA = os.path.join(CERTS, "ca.pem")

UNTRUSTED = "The certificate chain was issued by an authority that is not trusted."
NAME = "The target principal name is incorrect."
CLOSED = "An existing connection was forcibly closed by the remote host."


def run_json(*args, timeout=60):
    """Runs tdsprobe --json ARGS; returns (exit code, [records], stdout, stderr)."""
    p = subprocess.run([TDSPROBE, "--json", *args], capture_output=True, text=True,
                       timeout=timeout)
    objs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if tdsprobe_schema.available():  # every record the suite sees follows the published schema
        tdsprobe_schema.check_records(objs)
    return p.returncode, objs, p.stdout, p.stderr


def closed_port():
    """A loopback TCP port that nothing listens on (bound once, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
