"""The proxy's connection to the target database, as the device account with its hosted password.

The password is unsealed through the key store for the login only and never kept. Where the
device has EnableSSL, the connection is upgraded to TLS before any credential is sent, and the
server's certificate must chain to the device's SSLCert (its name is not checked: devices are
reached by address); a server that does not offer TLS is refused. Authentication follows the
server's plugin: mysql_native_password, caching_sha2_password (its fast path; the full path only
over TLS) and mysql_clear_password (only over TLS)."""
import asyncio
import ssl
from dataclasses import dataclass
from typing import Optional

from layers.bastion import store
from layers.bastion.mysql import protocol as p
from layers.bastion.mysql.link import Link
from layers.bastion.ssh import target as ssh_target
from layers.bastion.ssh.access import Denied, Grant

CONNECT_TIMEOUT = 10


@dataclass
class Target:
    link: Link
    hello: p.ServerHello
    capabilities: int
    status: int
    tls: bool


def _port(grant: Grant) -> int:
    return int(grant.device.get("Port") or 3306)


def _tls_context(grant: Grant) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.check_hostname = False
    cert = store.get_many(grant.owner, "sslcert", [grant.device["Id"]]).get(grant.device["Id"])
    if cert and cert.get("SSLCert"):
        ctx.load_verify_locations(cadata=cert["SSLCert"])
    return ctx


async def connect(grant: Grant, client_caps: int, database: Optional[str], charset: int) -> Target:
    """Logged in to the target with the command-phase capabilities the client chose; Denied with a
    one-line reason otherwise."""
    loop = asyncio.get_running_loop()
    hosted = await loop.run_in_executor(None, ssh_target.hosted, grant)
    if not hosted.password:
        raise Denied("no_hosted_password", f"`{grant.device_account['Account']}` on this database has no hosted "
                                           "password; ask an administrator to host one")
    host, port = grant.host, _port(grant)
    try:
        _, link = await asyncio.wait_for(loop.create_connection(Link, host, port), CONNECT_TIMEOUT)
    except (OSError, asyncio.TimeoutError) as exc:
        raise Denied("target_down", f"cannot reach {host}:{port} ({ssh_target._why(exc)})") from None
    try:
        return await asyncio.wait_for(_login(link, grant, hosted.password, client_caps, database, charset),
                                      CONNECT_TIMEOUT)
    except Denied:
        link.close()
        raise
    except (OSError, EOFError, p.ProtocolError, asyncio.TimeoutError, ssl.SSLError) as exc:
        link.close()
        raise Denied("target_down", f"{host}:{port} did not complete the login ({ssh_target._why(exc)})") from None


async def _login(link: Link, grant: Grant, password: str, client_caps: int, database: Optional[str],
                 charset: int) -> Target:
    packets = p.Packets(link)
    payload, _ = await packets.read()
    hello = p.parse_handshake(payload)
    wanted = client_caps & p.COMMAND_PHASE
    missing = wanted & ~hello.capabilities
    if missing or not hello.capabilities & p.PROTOCOL_41:
        raise Denied("target_protocol", f"the database does not speak what the client asked for (flags {missing:#x})")
    caps = wanted | (hello.capabilities & (p.LONG_PASSWORD | p.TRANSACTIONS))
    seq = 1
    tls = bool(grant.device.get("EnableSSL"))
    if tls:
        if not hello.capabilities & p.SSL:
            raise Denied("target_tls", "the database does not offer TLS, which the device requires")
        caps |= p.SSL
        link.write(p.frame(p.ssl_request(caps, database, charset), seq))
        await link.drain()
        seq += 1
        await link.start_tls(_tls_context(grant))
    plugin = hello.plugin
    auth = _answer(plugin, password, hello.salt, tls)
    link.write(p.frame(p.client_hello(caps, grant.device_account["Account"], auth, database, plugin, charset), seq))
    await link.drain()
    while True:
        payload, _ = await packets.read()
        head = payload[:1]
        if head == b"\x00":
            ok = p.parse_ok(payload)
            return Target(link, hello, caps, ok.status, tls)
        if head == b"\xff":
            err = p.parse_err(payload)
            if err.code == 1049:         # unknown database: the client's own mistake, shown as it is
                raise Denied("target_database", err.message)
            raise Denied("target_auth", f"the database refused `{grant.device_account['Account']}` ({err})")
        if head == b"\xfe":             # auth switch
            name, at = p.read_nul(payload, 1)
            plugin = name.decode()
            salt = payload[at:].rstrip(b"\x00") or hello.salt
            answer = _answer(plugin, password, salt, tls)
        elif head == b"\x01" and plugin == "caching_sha2_password":
            if payload[1:2] == b"\x03":     # fast auth succeeded: OK follows
                continue
            if not tls:                     # full authentication wants the password: only under TLS
                raise Denied("target_auth", "the database wants the password in clear (caching_sha2_password "
                                            "full authentication); enable SSL on the device")
            answer = password.encode() + b"\x00"
        else:
            raise Denied("target_auth", "the database asked for an authentication the bastion does not speak")
        link.write(p.frame(answer, packets.seq + 1))
        await link.drain()


def _answer(plugin: str, password: str, salt: bytes, tls: bool) -> bytes:
    if plugin == p.NATIVE:
        return p.native_response(password, salt)
    if plugin == "caching_sha2_password":
        return p.sha256_fast_response(password, salt)
    if plugin == p.CLEAR:
        if not tls:
            raise Denied("target_auth", "the database wants the password in clear text; enable SSL on the device")
        return password.encode() + b"\x00"
    raise Denied("target_auth", f"the database asks for `{plugin}`, which the bastion does not speak")
