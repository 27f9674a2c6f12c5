"""The MySQL client/server protocol, as much of it as the bastion's proxy speaks: packets, the
handshake (v10 and HandshakeResponse41), mysql_native_password and mysql_clear_password, OK /
ERR / EOF packets, and the shape of each command's response (so the proxy knows where a
response ends without holding it).

A packet is a 3-byte little-endian payload length, a 1-byte sequence number and the payload; a
payload of 0xFFFFFF bytes or more continues in the next packet (a shorter one ends it)."""
import asyncio
import hashlib
import os
import struct
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

MAX_PACKET = 0xFFFFFF

# capability flags
LONG_PASSWORD = 1
FOUND_ROWS = 1 << 1
LONG_FLAG = 1 << 2
CONNECT_WITH_DB = 1 << 3
NO_SCHEMA = 1 << 4
COMPRESS = 1 << 5
ODBC = 1 << 6
LOCAL_FILES = 1 << 7
IGNORE_SPACE = 1 << 8
PROTOCOL_41 = 1 << 9
INTERACTIVE = 1 << 10
SSL = 1 << 11
TRANSACTIONS = 1 << 13
SECURE_CONNECTION = 1 << 15
MULTI_STATEMENTS = 1 << 16
MULTI_RESULTS = 1 << 17
PS_MULTI_RESULTS = 1 << 18
PLUGIN_AUTH = 1 << 19
CONNECT_ATTRS = 1 << 20
PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21
SESSION_TRACK = 1 << 23
DEPRECATE_EOF = 1 << 24

# What the proxy offers clients. Not offered: COMPRESS (statements must be read), LOCAL_FILES
# (LOAD DATA LOCAL would send client files the proxy does not inspect), SSL towards the client,
# and MySQL 8's query attributes and optional metadata (they change COM_QUERY / results).
OFFERED = (LONG_PASSWORD | FOUND_ROWS | LONG_FLAG | CONNECT_WITH_DB | NO_SCHEMA | ODBC | IGNORE_SPACE
           | PROTOCOL_41 | INTERACTIVE | TRANSACTIONS | SECURE_CONNECTION | MULTI_STATEMENTS | MULTI_RESULTS
           | PS_MULTI_RESULTS | PLUGIN_AUTH | CONNECT_ATTRS | PLUGIN_AUTH_LENENC_CLIENT_DATA | SESSION_TRACK
           | DEPRECATE_EOF)
# Flags that shape the command phase: the target must agree to the client's choice of them.
COMMAND_PHASE = (FOUND_ROWS | LONG_FLAG | NO_SCHEMA | ODBC | IGNORE_SPACE | PROTOCOL_41 | INTERACTIVE
                 | TRANSACTIONS | MULTI_STATEMENTS | MULTI_RESULTS | PS_MULTI_RESULTS | SESSION_TRACK | DEPRECATE_EOF)
REQUIRED = PROTOCOL_41 | SECURE_CONNECTION

# server status flags
SERVER_STATUS_AUTOCOMMIT = 0x0002
SERVER_MORE_RESULTS_EXISTS = 0x0008
SERVER_STATUS_CURSOR_EXISTS = 0x0040

# commands
COM_QUIT, COM_INIT_DB, COM_QUERY, COM_FIELD_LIST = 0x01, 0x02, 0x03, 0x04
COM_STATISTICS, COM_PROCESS_INFO, COM_PROCESS_KILL, COM_DEBUG, COM_PING = 0x09, 0x0A, 0x0C, 0x0D, 0x0E
COM_CHANGE_USER, COM_RESET_CONNECTION, COM_SET_OPTION = 0x11, 0x1F, 0x1B
COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_SEND_LONG_DATA = 0x16, 0x17, 0x18
COM_STMT_CLOSE, COM_STMT_RESET, COM_STMT_FETCH = 0x19, 0x1A, 0x1C

NATIVE, CLEAR = "mysql_native_password", "mysql_clear_password"
UTF8MB4_GENERAL_CI = 45


class ProtocolError(Exception):
    """The peer sent something the protocol does not allow."""


# ---- integers and strings ----
def lenenc_int(value: int) -> bytes:
    if value < 251:
        return bytes((value,))
    if value < 1 << 16:
        return b"\xfc" + struct.pack("<H", value)
    if value < 1 << 24:
        return b"\xfd" + struct.pack("<I", value)[:3]
    return b"\xfe" + struct.pack("<Q", value)


def read_lenenc(data: bytes, at: int) -> Tuple[Optional[int], int]:
    """(value, next offset); value None for the NULL marker 0xFB."""
    first = data[at]
    if first < 0xFB:
        return first, at + 1
    if first == 0xFB:
        return None, at + 1
    if first == 0xFC:
        return struct.unpack_from("<H", data, at + 1)[0], at + 3
    if first == 0xFD:
        return int.from_bytes(data[at + 1:at + 4], "little"), at + 4
    if first == 0xFE:
        return struct.unpack_from("<Q", data, at + 1)[0], at + 9
    raise ProtocolError("bad length-encoded integer")


def read_lenenc_bytes(data: bytes, at: int) -> Tuple[Optional[bytes], int]:
    n, at = read_lenenc(data, at)
    if n is None:
        return None, at
    return bytes(data[at:at + n]), at + n


def read_nul(data: bytes, at: int) -> Tuple[bytes, int]:
    end = data.find(b"\x00", at)
    if end < 0:
        return bytes(data[at:]), len(data)
    return bytes(data[at:end]), end + 1


# ---- packets ----
def frame(payload: bytes, seq: int) -> bytes:
    """One logical payload as packets, starting at sequence number `seq`."""
    out, at = bytearray(), 0
    while True:
        chunk = payload[at:at + MAX_PACKET]
        out += len(chunk).to_bytes(3, "little") + bytes((seq & 0xFF,)) + chunk
        seq += 1
        at += len(chunk)
        if len(chunk) < MAX_PACKET:
            return bytes(out)


class Packets:
    """Reads whole payloads from a stream; `raw` keeps the bytes as they came, to relay them."""

    def __init__(self, reader) -> None:
        """reader: anything with `async readexactly(n)` as a StreamReader has (link.Link)."""
        self.reader = reader
        self.seq = 0

    async def read(self) -> Tuple[bytes, bytes]:
        """(payload, raw packets); EOFError when the stream ends."""
        payload, raw = bytearray(), bytearray()
        while True:
            try:
                header = await self.reader.readexactly(4)
                n = int.from_bytes(header[:3], "little")
                body = await self.reader.readexactly(n) if n else b""
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                raise EOFError from exc
            self.seq = header[3]
            payload += body
            raw += header + body
            if n < MAX_PACKET:
                return bytes(payload), bytes(raw)


def ok_packet(affected: int = 0, insert_id: int = 0, status: int = SERVER_STATUS_AUTOCOMMIT, warnings: int = 0,
              info: bytes = b"") -> bytes:
    return b"\x00" + lenenc_int(affected) + lenenc_int(insert_id) + struct.pack("<HH", status, warnings) + info


def err_packet(code: int, state: str, message: str) -> bytes:
    return b"\xff" + struct.pack("<H", code) + b"#" + state.encode("ascii")[:5].ljust(5, b"0") + \
        message.encode("utf-8", "replace")[:MAX_PACKET - 16]


@dataclass
class Ok:
    affected: int
    insert_id: int
    status: int
    warnings: int


def parse_ok(payload: bytes) -> Ok:
    """An OK packet (header 0x00, or 0xFE as the end of a result set with DEPRECATE_EOF)."""
    affected, at = read_lenenc(payload, 1)
    insert_id, at = read_lenenc(payload, at)
    status, warnings = struct.unpack_from("<HH", payload, at) if len(payload) >= at + 4 else (0, 0)
    return Ok(affected or 0, insert_id or 0, status, warnings)


@dataclass
class Err:
    code: int
    state: str
    message: str

    def __str__(self) -> str:
        return f"ERROR {self.code} ({self.state}): {self.message}"


def parse_err(payload: bytes) -> Err:
    code = struct.unpack_from("<H", payload, 1)[0] if len(payload) >= 3 else 0
    rest = payload[3:]
    state = ""
    if rest[:1] == b"#":
        state, rest = rest[1:6].decode("ascii", "replace"), rest[6:]
    return Err(code, state, rest.decode("utf-8", "replace"))


def is_eof(payload: bytes, deprecate_eof: bool) -> bool:
    """Whether a packet inside a result set is its terminator (EOF, or OK with header 0xFE)."""
    return payload[:1] == b"\xfe" and (len(payload) < MAX_PACKET if deprecate_eof else len(payload) < 9)


def eof_status(payload: bytes, deprecate_eof: bool) -> int:
    if deprecate_eof:
        return parse_ok(payload).status
    return struct.unpack_from("<H", payload, 3)[0] if len(payload) >= 5 else 0


# ---- handshake ----
def scramble() -> bytes:
    """20 bytes of authentication challenge (printable, never NUL)."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return bytes(alphabet[b % len(alphabet)] for b in os.urandom(20))


def handshake_v10(version: str, connection_id: int, salt: bytes, capabilities: int = OFFERED,
                  charset: int = UTF8MB4_GENERAL_CI, plugin: str = NATIVE) -> bytes:
    return (b"\x0a" + version.encode() + b"\x00" + struct.pack("<I", connection_id) + salt[:8] + b"\x00"
            + struct.pack("<H", capabilities & 0xFFFF) + bytes((charset,))
            + struct.pack("<H", SERVER_STATUS_AUTOCOMMIT) + struct.pack("<H", capabilities >> 16)
            + bytes((len(salt) + 1,)) + bytes(10) + salt[8:] + b"\x00" + plugin.encode() + b"\x00")


@dataclass
class ServerHello:
    version: str
    connection_id: int
    capabilities: int
    charset: int
    status: int
    salt: bytes
    plugin: str


def parse_handshake(payload: bytes) -> ServerHello:
    if payload[:1] == b"\xff":
        raise ProtocolError(str(parse_err(payload)))
    if payload[:1] != b"\x0a":
        raise ProtocolError(f"unknown handshake protocol {payload[:1]!r}")
    version, at = read_nul(payload, 1)
    conn_id = struct.unpack_from("<I", payload, at)[0]
    salt = payload[at + 4:at + 12]
    at += 13
    caps = struct.unpack_from("<H", payload, at)[0]
    charset, status = payload[at + 2], struct.unpack_from("<H", payload, at + 3)[0]
    caps |= struct.unpack_from("<H", payload, at + 5)[0] << 16
    salt_len = payload[at + 7]
    at += 18
    if caps & SECURE_CONNECTION:
        n = max(13, salt_len - 8)
        salt += payload[at:at + n].rstrip(b"\x00")
        at += n
    plugin = b""
    if caps & PLUGIN_AUTH:
        plugin, at = read_nul(payload, at)
    return ServerHello(version.decode("utf-8", "replace"), conn_id, caps, charset, status, bytes(salt),
                       plugin.decode() or NATIVE)


@dataclass
class ClientHello:
    capabilities: int
    max_packet: int
    charset: int
    user: str = ""
    auth: bytes = b""
    database: Optional[str] = None
    plugin: str = ""
    attrs: Dict[str, str] = field(default_factory=dict)
    ssl_request: bool = False


def parse_client_hello(payload: bytes) -> ClientHello:
    if len(payload) < 32:
        raise ProtocolError("handshake response too short")
    caps, max_packet, charset = struct.unpack_from("<IIB", payload, 0)
    hello = ClientHello(caps, max_packet, charset)
    if not caps & PROTOCOL_41:
        raise ProtocolError("clients before protocol 4.1 are not served")
    if len(payload) == 32:
        hello.ssl_request = True
        return hello
    at = 32
    user, at = read_nul(payload, at)
    hello.user = user.decode("utf-8", "replace")
    if caps & PLUGIN_AUTH_LENENC_CLIENT_DATA:
        auth, at = read_lenenc_bytes(payload, at)
        hello.auth = auth or b""
    elif caps & SECURE_CONNECTION:
        n = payload[at]
        hello.auth, at = bytes(payload[at + 1:at + 1 + n]), at + 1 + n
    else:
        hello.auth, at = read_nul(payload, at)
    if caps & CONNECT_WITH_DB and at < len(payload):
        db, at = read_nul(payload, at)
        hello.database = db.decode("utf-8", "replace") or None
    if caps & PLUGIN_AUTH and at < len(payload):
        plugin, at = read_nul(payload, at)
        hello.plugin = plugin.decode("ascii", "replace")
    return hello


def client_hello(capabilities: int, user: str, auth: bytes, database: Optional[str], plugin: str,
                 charset: int = UTF8MB4_GENERAL_CI) -> bytes:
    """HandshakeResponse41 from the proxy to a target."""
    caps = target_capabilities(capabilities, database)
    out = struct.pack("<IIB", caps, MAX_PACKET, charset) + bytes(23) + user.encode() + b"\x00"
    out += lenenc_int(len(auth)) + auth
    if database:
        out += database.encode() + b"\x00"
    return out + plugin.encode() + b"\x00"


def target_capabilities(capabilities: int, database: Optional[str]) -> int:
    """The flags the proxy logs in to a target with (the SSL request and the response alike)."""
    caps = capabilities | PLUGIN_AUTH | PLUGIN_AUTH_LENENC_CLIENT_DATA | SECURE_CONNECTION | PROTOCOL_41
    caps &= ~CONNECT_ATTRS
    return caps | CONNECT_WITH_DB if database else caps & ~CONNECT_WITH_DB


def ssl_request(capabilities: int, database: Optional[str], charset: int = UTF8MB4_GENERAL_CI) -> bytes:
    return struct.pack("<IIB", target_capabilities(capabilities | SSL, database), MAX_PACKET, charset) + bytes(23)


# ---- authentication ----
def _sha1(*parts: bytes) -> bytes:
    h = hashlib.sha1()
    for p in parts:
        h.update(p)
    return h.digest()


def native_response(password: str, salt: bytes) -> bytes:
    """mysql_native_password: SHA1(password) XOR SHA1(salt + SHA1(SHA1(password)))."""
    if not password:
        return b""
    stage1 = _sha1(password.encode())
    mix = _sha1(salt[:20], _sha1(stage1))
    return bytes(a ^ b for a, b in zip(stage1, mix))


def native_stage2(password: str) -> str:
    """What a server keeps to check mysql_native_password: hex SHA1(SHA1(password))."""
    return _sha1(_sha1(password.encode())).hex()


def native_matches(stage2_hex: str, salt: bytes, response: bytes) -> bool:
    """Whether `response` proves knowledge of the password whose stage 2 hash is kept."""
    if len(response) != 20 or not stage2_hex:
        return False
    stage2 = bytes.fromhex(stage2_hex)
    mix = _sha1(salt[:20], stage2)
    stage1 = bytes(a ^ b for a, b in zip(response, mix))
    import hmac
    return hmac.compare_digest(_sha1(stage1), stage2)


def auth_switch(plugin: str, data: bytes) -> bytes:
    return b"\xfe" + plugin.encode() + b"\x00" + data


def sha256_fast_response(password: str, salt: bytes) -> bytes:
    """caching_sha2_password's scramble: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + salt)."""
    if not password:
        return b""
    p1 = hashlib.sha256(password.encode()).digest()
    p2 = hashlib.sha256(p1).digest()
    p3 = hashlib.sha256(p2 + salt[:20]).digest()
    return bytes(a ^ b for a, b in zip(p1, p3))


# ---- prepared statement parameters ----
# binary protocol types
T_DECIMAL, T_TINY, T_SHORT, T_LONG, T_FLOAT, T_DOUBLE, T_NULL, T_TIMESTAMP = 0, 1, 2, 3, 4, 5, 6, 7
T_LONGLONG, T_INT24, T_DATE, T_TIME, T_DATETIME, T_YEAR = 8, 9, 10, 11, 12, 13
_INTS = {T_TINY: ("<b", "<B", 1), T_SHORT: ("<h", "<H", 2), T_YEAR: ("<h", "<H", 2), T_LONG: ("<i", "<I", 4),
         T_INT24: ("<i", "<I", 4), T_LONGLONG: ("<q", "<Q", 8)}


def _literal_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _temporal(kind: int, data: bytes, at: int) -> Tuple[str, int]:
    n = data[at]
    body = data[at + 1:at + 1 + n]
    at += 1 + n
    if kind == T_TIME:
        if n == 0:
            return "'00:00:00'", at
        neg, days, h, m, s = struct.unpack_from("<BIBBB", body, 0)
        micro = struct.unpack_from("<I", body, 8)[0] if n >= 12 else 0
        hours = days * 24 + h
        frac = f".{micro:06d}" if micro else ""
        return f"'{'-' if neg else ''}{hours:02d}:{m:02d}:{s:02d}{frac}'", at
    if n == 0:
        return "'0000-00-00 00:00:00'", at
    y, mo, d = struct.unpack_from("<HBB", body, 0)
    if n == 4:
        return f"'{y:04d}-{mo:02d}-{d:02d}'", at
    h, mi, s = body[4], body[5], body[6]
    micro = struct.unpack_from("<I", body, 7)[0] if n >= 11 else 0
    frac = f".{micro:06d}" if micro else ""
    return f"'{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}{frac}'", at


def execute_parameters(payload: bytes, count: int, known_types: Optional[List[Tuple[int, bool]]],
                       long_data: Dict[int, bytes]) -> Tuple[List[str], Optional[List[Tuple[int, bool]]]]:
    """The parameters of a COM_STMT_EXECUTE as SQL literals, and the types it bound (kept by the
    caller: an execute that binds none reuses the last ones)."""
    if count == 0:
        return [], known_types
    at = 10
    nulls = payload[at:at + (count + 7) // 8]
    at += (count + 7) // 8
    bound = payload[at]
    at += 1
    types = known_types
    if bound:
        types = [(payload[at + 2 * i], bool(payload[at + 2 * i + 1] & 0x80)) for i in range(count)]
        at += 2 * count
    if types is None:
        return ["?"] * count, None
    out = []
    for i, (kind, unsigned) in enumerate(types):
        if nulls[i // 8] & (1 << (i % 8)) or kind == T_NULL:
            out.append("NULL")
        elif i in long_data:
            out.append(_literal_text(long_data[i]))
        elif kind in _INTS:
            signed_fmt, unsigned_fmt, size = _INTS[kind]
            out.append(str(struct.unpack_from(unsigned_fmt if unsigned else signed_fmt, payload, at)[0]))
            at += size
        elif kind == T_FLOAT:
            out.append(repr(struct.unpack_from("<f", payload, at)[0]))
            at += 4
        elif kind == T_DOUBLE:
            out.append(repr(struct.unpack_from("<d", payload, at)[0]))
            at += 8
        elif kind in (T_DATE, T_DATETIME, T_TIMESTAMP, T_TIME):
            text, at = _temporal(kind, payload, at)
            out.append(text)
        else:                                   # strings, decimals, blobs, JSON...: length-encoded
            raw, at = read_lenenc_bytes(payload, at)
            out.append("NULL" if raw is None else _literal_text(raw))
    return out, types
