"""A minimal TDS client for fakesql's own tests: PRELOGIN, TLS inside TDS (ssl.MemoryBIO),
TDS 8.0 strict, LOGIN7, and the reply tokens. Written from MS-TDS (2.2.3, 2.2.6.4, 2.2.6.5), not
from fakesql's sources, so the tests check fakesql against the protocol, not against itself.
"""

import socket
import ssl
import struct

PRELOGIN, LOGIN7, REPLY = 0x12, 0x10, 0x04
ENC_OFF, ENC_ON, ENC_NOT_SUP, ENC_REQ = 0, 1, 2, 3


class Closed(Exception):
    """The server closed (FIN) while we waited for bytes."""


def connect(host, port, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise Closed("server closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_all(s):
    """Everything until EOF (ConnectionResetError propagates)."""
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return buf
        buf += chunk


def packet(ptype, payload, status=1, packet_id=0):
    return struct.pack(">BBHHBB", ptype, status, len(payload) + 8, 0, packet_id, 0) + payload


def read_packet(s):
    """(type, status, payload) of the next packet."""
    hdr = recv_exact(s, 8)
    ptype, status, length = struct.unpack(">BBH", hdr[:4])
    return ptype, status, recv_exact(s, length - 8)


def read_message(s):
    """Packets until EOM: (type of the first, [headers], payload)."""
    data, headers = b"", []
    while True:
        ptype, status, payload = read_packet(s)
        headers.append((ptype, status, len(payload) + 8))
        data += payload
        if status & 1:
            return headers[0][0], headers, data


def prelogin_payload(enc=ENC_ON, instance=b"", mars=None, version=b"\x10\x00\x03\xe8\x00\x00"):
    opts = [(0, version), (1, bytes([enc])), (2, instance + b"\x00"), (3, b"\x00\x00\x00\x01")]
    if mars is not None:
        opts.append((4, bytes([mars])))
    table_len = 5 * len(opts) + 1
    table, data = b"", b""
    for token, value in opts:
        table += struct.pack(">BHH", token, table_len + len(data), len(value))
        data += value
    return table + b"\xff" + data


def parse_prelogin(payload):
    """{token: bytes} of a PRELOGIN payload."""
    out, pos = {}, 0
    while payload[pos] != 0xFF:
        token, off, length = struct.unpack(">BHH", payload[pos:pos + 5])
        out[token] = payload[off:off + length]
        pos += 5
    return out


def prelogin(s, enc=ENC_ON, **kw):
    """Sends PRELOGIN, returns (reply type, {token: bytes})."""
    s.sendall(packet(PRELOGIN, prelogin_payload(enc, **kw)))
    ptype, _, payload = read_message(s)
    return ptype, parse_prelogin(payload)


def login7_payload(user="sa", password="x", app="tdsmini", server="localhost",
                   tds_version=0x74000004):
    fields = [("tdsmini-host", False), (user, False), (password, True), (app, False),
              (server, False), ("", False), ("", False), ("", False), ("", False)]
    fixed_len = 94
    offsets, data = b"", b""
    for text, scramble in fields[:5]:
        raw = text.encode("utf-16-le")
        if scramble:  # MS-TDS 2.2.6.4: swap nibbles, XOR 0xA5
            raw = bytes((((b << 4) & 0xF0) | (b >> 4)) ^ 0xA5 for b in raw)
        offsets += struct.pack("<HH", fixed_len + len(data), len(text))
        data += raw
    # unused (extension), CltIntName, Language, Database: empty at the end
    for _ in range(4):
        offsets += struct.pack("<HH", fixed_len + len(data), 0)
    offsets += b"\x00" * 6  # ClientID
    end = fixed_len + len(data)
    offsets += struct.pack("<HHHH", end, 0, end, 0)  # SSPI, AtchDBFile
    offsets += struct.pack("<HH", end, 0)  # ChangePassword
    offsets += struct.pack("<I", 0)  # cbSSPILong
    head = struct.pack("<IIIIIIBBBBiI", 0, tds_version, 4096, 7, 1234, 0, 0xE0, 0x03, 0, 0, 0,
                       0x409)
    body = head + offsets
    assert len(body) == fixed_len, len(body)
    body += data
    return struct.pack("<I", len(body)) + body[4:]


def parse_tokens(data):
    """[('error', number, state, class, message, server), ('done', status), ...]"""
    out, pos = [], 0
    while pos < len(data):
        tok = data[pos]
        if tok == 0xAA:
            length = struct.unpack("<H", data[pos + 1:pos + 3])[0]
            body = data[pos + 3:pos + 3 + length]
            number, state, cls, mlen = struct.unpack("<iBBH", body[:8])
            msg = body[8:8 + 2 * mlen].decode("utf-16-le")
            p = 8 + 2 * mlen
            slen = body[p]
            server = body[p + 1:p + 1 + 2 * slen].decode("utf-16-le")
            out.append(("error", number, state, cls, msg, server))
            pos += 3 + length
        elif tok == 0xFD:
            status = struct.unpack("<H", data[pos + 1:pos + 3])[0]
            out.append(("done", status))
            pos += 1 + 2 + 2 + 8
        else:
            raise ValueError("unexpected token 0x%02x at %d" % (tok, pos))
    return out


def client_context(cafile=None, hostname_check=True, min_v=None, max_v=None, seclevel=None,
                   alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile:
        ctx.load_verify_locations(cafile)
        ctx.check_hostname = hostname_check
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = max_v or ssl.TLSVersion.TLSv1_2
    if min_v:
        ctx.minimum_version = min_v
    if seclevel is not None:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=%d" % seclevel)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


class TlsInTds:
    """TDS 7.x: the TLS handshake inside 0x12 packets, then TLS records on the raw socket."""

    def __init__(self, sock, ctx, server_hostname="localhost"):
        self.sock = sock
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname=server_hostname)
        self.server_packets = []  # (type, status, length) of every handshake packet received

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                out = self.outgoing.read()
                if out:
                    self.sock.sendall(packet(PRELOGIN, out))
                ptype, headers, data = read_message(self.sock)
                self.server_packets.extend(headers)
                self.incoming.write(data)
        out = self.outgoing.read()
        if out:  # TLS 1.2 ends with the server's Finished: nothing left; kept for safety
            self.sock.sendall(packet(PRELOGIN, out))
        return self.obj

    def send_tds(self, ptype, payload, status=1):
        self.obj.write(packet(ptype, payload, status))
        self.sock.sendall(self.outgoing.read())

    def recv_tds_message(self):
        """Reads raw TLS records until one whole TDS message decrypted."""
        plain = b""
        while True:
            try:
                plain += self.obj.read(65536)
            except ssl.SSLWantReadError:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise Closed("server closed inside TLS")
                self.incoming.write(chunk)
                continue
            pos = 0
            while pos + 8 <= len(plain):
                length = struct.unpack(">H", plain[pos + 2:pos + 4])[0]
                if pos + length > len(plain):
                    break
                if plain[pos + 1] & 1:
                    return plain[0], _payloads(plain[:pos + length])
                pos += length


def _payloads(stream):
    out, pos = b"", 0
    while pos < len(stream):
        length = struct.unpack(">H", stream[pos + 2:pos + 4])[0]
        out += stream[pos + 8:pos + length]
        pos += length
    return out


class Strict:
    """TDS 8.0: TLS on the raw socket first, TDS inside."""

    def __init__(self, sock, ctx, server_hostname="localhost"):
        self.tls = ctx.wrap_socket(sock, server_hostname=server_hostname)

    def send_tds(self, ptype, payload):
        self.tls.sendall(packet(ptype, payload))

    def recv_tds_message(self):
        ptype, _, data = read_message(self.tls)
        return ptype, data
