#!/usr/bin/env python3
"""Interop tests: real clients against fakesql, so fakesql cannot drift into a mirror of the
probe. FreeTDS tsql (in-band TLS, full and login-only), nmap ssl-cert / ssl-enum-ciphers (its
TDS wrapper), openssl s_client (TDS 8.0 strict, ALPN tds/8.0).

nmap applies its TDS wrapper only to the ms-sql-s service, which without -sV means port 1433.
So the nmap cases re-run themselves in a private network namespace (unshare --net; as root in
CI, or with --map-root-user where user namespaces are allowed), where fakesql can own 1433
without disturbing the host or other tests.

Usage: interop.py CASE | --list   (env: FAKESQL, TDSPROBE_CERTS)
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from fakesql import FakeSQL  # noqa: E402

CERTS = os.environ.get("TDSPROBE_CERTS", "")
CA = os.path.join(CERTS, "ca.pem")
CASES = {}
NETNS_CASES = set()


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def in_netns(fn):
    NETNS_CASES.add(fn.__name__)
    return fn


def check(cond, what, *detail):
    if not cond:
        raise AssertionError(what + "".join("\n--- %s" % d for d in detail))


def run(cmd, timeout=25, env=None):
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


# ---- FreeTDS tsql ----

def tsql(srv, encryption, host="127.0.0.1", user="sa"):
    """tsql against fakesql with a private freetds.conf; returns its output."""
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "freetds.conf")
        with open(conf, "w") as f:
            f.write("[fake]\n\thost = %s\n\tport = %d\n\ttds version = 7.4\n"
                    "\tencryption = %s\n\tca file = %s\n\tcheck certificate hostname = yes\n"
                    % (host, srv.port, encryption, CA))
        env = dict(os.environ, FREETDSCONF=conf, HOME=d)
        _, out = run(["tsql", "-S", "fake", "-U", user, "-P", "not-the-password"], env=env)
    return out


@case
def tsql_require():
    with FakeSQL({"cert": "good"}) as srv:
        out = tsql(srv, "require")
        check("Msg 18456 (severity 14, state 1) from FAKESQL" in out, "tsql shows the error", out)
        check("Login failed for user 'sa'." in out, "tsql prints the login error", out)
        conn = srv.wait_outcome(1)[0]
        check(conn["client_enc"] == "on" and conn["scope"] == "full" and
              conn["tls"] == "TLSv1.2" and conn["user"] == "sa", "fakesql saw full TLS", conn)


@case
def tsql_request_login_only():
    with FakeSQL({"cert": "good"}) as srv:
        out = tsql(srv, "request", user="labuser")
        check("Login failed for user 'labuser'." in out, "tsql prints the login error", out)
        conn = srv.wait_outcome(1)[0]
        check(conn["client_enc"] == "off" and conn["reply_enc"] == "off" and
              conn["scope"] == "login_only", "fakesql saw login-only TLS", conn)


@case
def tsql_forced_and_not_supported():
    with FakeSQL({"cert": "good", "forceencryption": 1}) as srv:
        out = tsql(srv, "request")
        check("Login failed for user 'sa'." in out, "request + forced: full TLS", out)
        check(srv.wait_outcome(1)[0]["scope"] == "full", "REQ answer means full TLS", srv.log())
    with FakeSQL({"encryption": "not_supported"}) as srv:
        out = tsql(srv, "request")
        check("Login failed for user 'sa'." in out, "request + not supported: cleartext", out)
        out = tsql(srv, "require")
        check("Login failed" not in out, "require + not supported must fail", out)
        conns = srv.wait_outcome(2)
        check(conns[0].get("tls") is None and conns[1]["outcome"] == "terminated",
              "no TLS, then terminated", srv.log())


@case
def tsql_rejects_bad_certificates():
    # FreeTDS validates against the kit CA and the host name: these must not log in.
    for cfg, what in (({}, "self-signed fallback"), ({"cert": "wrongcn"}, "wrong name"),
                      ({"cert": "expired"}, "expired")):
        with FakeSQL(cfg) as srv:
            out = tsql(srv, "require")
            check("Login failed" not in out, "tsql must refuse the %s certificate" % what, out)
            conn = srv.wait_outcome(1)[0]
            # FreeTDS hangs up mid-handshake (GnuTLS builds), or sends an alert (OpenSSL ones)
            check((conn["outcome"] == "client_closed" and "tls_in_tds" in conn["detail"]) or
                  conn["outcome"] == "handshake_failed",
                  "tsql gave up during the handshake (%s)" % what, srv.log())


# ---- nmap (inside a network namespace, on 1433) ----

def nmap(srv, script):
    code, out = run(["nmap", "-Pn", "-n", "-sT", "-p", str(srv.port), "--script", script,
                     srv.host], timeout=28)
    check(code == 0, "nmap ran", out)
    check("%d/tcp open  ms-sql-s" % srv.port in out, "nmap sees ms-sql-s", out)
    return out


def tls_sections(out):
    return re.findall(r"^\|\s+(TLSv1\.\d|SSLv3):\s*$", out, re.M)


@case
@in_netns
def nmap_ssl_cert():
    with FakeSQL({"cert": "good", "tcpport": 1433}) as srv:
        out = nmap(srv, "ssl-cert")
        check("ssl-cert: Subject: commonName=localhost/organizationName=tdsprobe kit" in out,
              "configured leaf subject", out)
        check("Issuer: commonName=tdsprobe kit intermediate CA" in out, "issuer", out)
    with FakeSQL({"tcpport": 1433}) as srv:
        out = nmap(srv, "ssl-cert")
        check("ssl-cert: Subject: commonName=SSL_Self_Signed_Fallback" in out, "fallback", out)


@case
@in_netns
def nmap_enum_ciphers_tls12():
    with FakeSQL({"cert": "good", "tcpport": 1433, "tlsprotocols": "1.2"}) as srv:
        out = nmap(srv, "ssl-enum-ciphers")
        check(tls_sections(out) == ["TLSv1.2"], "exactly TLSv1.2", out)


@case
@in_netns
def nmap_enum_ciphers_legacy():
    cfg = {"cert": "good", "tcpport": 1433, "tlsprotocols": "1.0,1.1,1.2", "seclevel": 0}
    with FakeSQL(cfg) as srv:
        out = nmap(srv, "ssl-enum-ciphers")
        check(tls_sections(out) == ["TLSv1.0", "TLSv1.1", "TLSv1.2"], "exactly 1.0-1.2", out)


# ---- openssl s_client, TDS 8.0 strict ----

def s_client(srv, *extra):
    return run(["openssl", "s_client", "-connect", "%s:%d" % (srv.host, srv.port),
                "-alpn", "tds/8.0", "-servername", "localhost", "-CAfile", CA,
                "-verify_hostname", "localhost", "-verify_return_error", *extra], timeout=15)


@case
def openssl_strict():
    with FakeSQL({"cert": "good", "strict": 1}) as srv:
        code, out = s_client(srv)
        check(code == 0, "s_client completed", out)
        check("ALPN protocol: tds/8.0" in out, "ALPN tds/8.0 negotiated", out)
        check("Verify return code: 0 (ok)" in out, "chain verified", out)
        check("New, TLSv1.2, Cipher is" in out, "TLS 1.2 (tlsprotocols default)", out)
        conn = srv.wait_outcome(1)[0]
        check(conn["mode"] == "tds8" and conn["alpn"] == "tds/8.0", "fakesql saw TDS 8", conn)
    with FakeSQL({"cert": "good", "strict": 1, "tlsprotocols": "1.2,1.3"}) as srv:
        code, out = s_client(srv)
        check(code == 0 and "New, TLSv1.3, Cipher is" in out and
              "ALPN protocol: tds/8.0" in out, "TLS 1.3 with ALPN when configured", out)


@case
def openssl_strict_refused():
    with FakeSQL({"strict": 1}) as srv:  # only the fallback certificate: error 17821
        code, out = s_client(srv)
        check(code != 0 and "ALPN protocol: tds/8.0" not in out, "handshake refused", out)
        srv.wait_log(r"Error: 17821")
    with FakeSQL({"cert": "good"}) as srv:  # strict = 0: pre-2022 server closes
        code, out = s_client(srv)
        check(code != 0, "TDS 8 refused by a strict = 0 server", out)
        check(srv.wait_outcome(1)[0]["outcome"] == "tds8_refused", "log", srv.log())


def reexec_in_netns(name):
    cmd = ["unshare", "--net"]
    if os.geteuid() != 0:
        cmd.append("--map-root-user")  # where unprivileged user namespaces are allowed
    cmd += ["env", "FAKESQL_IN_NETNS=1", sys.executable, os.path.abspath(__file__), name]
    os.execvp(cmd[0], cmd)


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(CASES))
        return 0
    if len(argv) != 2 or argv[1] not in CASES:
        print("usage: interop.py CASE|--list", file=sys.stderr)
        return 64
    name = argv[1]
    if name in NETNS_CASES and os.environ.get("FAKESQL_IN_NETNS") != "1":
        reexec_in_netns(name)
    if name in NETNS_CASES:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    CASES[name]()
    print("ok:", name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
