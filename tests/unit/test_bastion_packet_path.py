"""The gateway's lean path for asyncssh's packets (layers/bastion/ssh/packet_path.py): the same
bytes as asyncssh's own, fewer copies, no IGNORE before each packet."""
import asyncio
import contextlib
import os
import random

import asyncssh
import pytest
from asyncssh.encryption import GCMEncryption

from layers.bastion.ssh import packet_path as pp

# the tests that put the lean path in place: under another asyncssh release install() declines
lean = pytest.mark.skipif(asyncssh.__version__ != pp.ASYNCSSH,
                          reason=f"the lean path is written for asyncssh {pp.ASYNCSSH}")


@pytest.fixture
def stock():
    """asyncssh as released, and put back as it was after the test."""
    was = pp.installed()
    pp.uninstall()
    yield
    pp.uninstall()
    if was:
        pp.install()


# ---- AES-GCM packets ----

def packets(n: int):
    rng = random.Random(7)
    for _ in range(n):
        body = os.urandom(rng.choice((1, 15, 16, 17, 4000, 32768, 262144)))
        pad = -(5 + len(body)) % 16 or 16
        yield (1 + len(body) + pad).to_bytes(4, "big"), bytes((pad,)) + body + os.urandom(pad)


@pytest.mark.parametrize("alg", [b"aes128-gcm@openssh.com", b"aes256-gcm@openssh.com"])
def test_gcm_packets_read_and_written_as_asyncssh_does(alg):
    key, iv = os.urandom(32 if b"256" in alg else 16), os.urandom(12)
    cipher = alg.split(b"@")[0].decode()
    for sender, receiver in ((pp.GcmPackets.new(cipher, key, iv), GCMEncryption.new(cipher, key, iv)),
                             (GCMEncryption.new(cipher, key, iv), pp.GcmPackets.new(cipher, key, iv))):
        for seq, (header, plain) in enumerate(packets(12)):
            sealed, mac = sender.encrypt_packet(seq, header, plain)
            wire = sealed + mac
            first, rest, tag = wire[:16], wire[16:-16], wire[-16:]
            first, _ = receiver.decrypt_header(seq, first, 4)
            assert receiver.decrypt_packet(seq, first, rest, 4, tag) == plain


def test_a_forged_gcm_packet_is_refused():
    key, iv = os.urandom(16), os.urandom(12)
    header, plain = next(packets(1))
    wire, _ = pp.GcmPackets(key, iv).encrypt_packet(0, header, plain)
    forged = bytearray(wire)
    forged[20] ^= 1
    assert pp.GcmPackets(key, iv).decrypt_packet(0, bytes(forged[:16]), bytes(forged[16:-16]), 4,
                                                 bytes(forged[-16:])) == b""


# ---- the input buffer ----

def test_input_buffer_answers_as_bytes_do():
    """Appended to (as from a tunnel) and read into (as from a socket), against `bytes`."""
    rng = random.Random(3)
    model, buf = b"", pp.InputBuffer()
    for _ in range(3000):
        step = rng.random()
        if step < 0.4:
            more = os.urandom(rng.choice((1, 7, 100, 5000, 70000)))
            model += more
            if rng.random() < 0.5:
                buf += more
            else:
                with buf.room(len(more)) as free:
                    assert len(free) >= len(more)
                    free[:len(more)] = more
                buf.end += len(more)
        elif step < 0.7 and model:
            a = rng.randrange(-len(model) - 2, len(model) + 1)
            b = rng.randrange(-len(model) - 2, len(model) + 5)
            assert buf[a:b] == model[a:b] and type(buf[a:b]) is bytes
            assert buf[:b] == model[:b]
        else:
            n = rng.randrange(len(model) + 3)
            model = model[n:]
            buf = buf[n:]
        assert len(buf) == len(model) and bool(buf) == bool(model)
    model += b"x\ny"
    buf += b"x\ny"
    assert buf.find(b"\n") == model.find(b"\n") and buf.find(b"\n", 0, 1) == model.find(b"\n", 0, 1)


def test_the_input_buffer_reuses_its_space():
    """What was taken off the front makes room for the next read: the buffer grows only to
    what is held plus one read."""
    buf = pp.InputBuffer()
    for _ in range(100):
        with buf.room(pp._READ) as free:
            free[:pp._READ - 10] = b"a" * (pp._READ - 10)
        buf.end += pp._READ - 10
        assert buf[:3] == b"aaa"
        buf = buf[pp._READ - 20:]       # all but 10 more bytes parsed
    assert len(buf) == 100 * 10 and len(buf.data) < 2 * pp._READ + 1000


# ---- a real connection ----

class Sink(asyncssh.SSHServer):
    def begin_auth(self, username):
        return False


async def echo(process):
    while True:
        data = await process.stdin.read(1 << 20)
        if not data:
            break
        process.stdout.write(data)
    process.exit(0)


@contextlib.asynccontextmanager
async def echo_pair(cipher: str = "aes128-gcm@openssh.com", **options):
    """A connection to an echo server (both ends in this process) on one cipher, and the echo
    process opened on it."""
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    algs = {"encryption_algs": [cipher]}
    server = await asyncssh.create_server(Sink, "127.0.0.1", 0, server_host_keys=[host_key], process_factory=echo,
                                          encoding=None, **algs)
    try:
        async with asyncssh.connect("127.0.0.1", server.sockets[0].getsockname()[1], known_hosts=None,
                                    username="u", **algs, **options) as conn:
            yield conn, await conn.create_process(encoding=None)
    finally:
        server.close()
        await server.wait_closed()


async def transfer(rekey_bytes: int, size: int = 3 << 20, cipher: str = "aes128-gcm@openssh.com",
                   ignores: bool = False):
    """An echo through an AES-GCM connection pair: what was sent, what came back, and how many
    IGNORE and KEXINIT packets the two sides received. With `ignores`, the lean path's own way
    in, which takes IGNORE packets without asyncssh's handlers, is off (it is at asyncssh's debug
    level 2), so that every IGNORE the other side sent is counted."""
    seen = []
    handlers = asyncssh.connection.SSHConnection._packet_handlers
    counted = (asyncssh.constants.MSG_IGNORE, asyncssh.constants.MSG_KEXINIT)
    stock_handlers = {kind: handlers[kind] for kind in counted}

    def counting(self, pkttype, pktid, packet):
        seen.append(pkttype)
        return stock_handlers[pkttype](self, pkttype, pktid, packet)

    handlers.update(dict.fromkeys(counted, counting))
    level = asyncssh.logging.SSHLogger._debug_level
    asyncssh.logging.SSHLogger._debug_level = max(level, 2) if ignores else level
    try:
        async with echo_pair(cipher, rekey_bytes=rekey_bytes) as (_, process):
            data = os.urandom(size)
            process.stdin.write(data)
            process.stdin.write_eof()
            got = await process.stdout.read()
            await process.wait()
            return data, got, seen.count(counted[0]), seen.count(counted[1])
    finally:
        asyncssh.logging.SSHLogger._debug_level = level
        handlers.update(stock_handlers)


@lean
def test_the_lean_path_carries_data_intact_across_rekeys(stock):
    assert pp.install()
    data, got, _, kexinits = asyncio.run(transfer(rekey_bytes=256 * 1024))
    assert got == data and kexinits > 2 * 3 * 4     # both sides, several times each way


@lean
def test_a_forged_data_packet_ends_the_connection_and_delivers_nothing(stock, monkeypatch):
    """A channel's data is decrypted on the lean path's own way in: a packet whose tag does not
    match is handed to asyncssh's checks, which end the connection; none of its bytes arrive."""
    assert pp.install()
    sealed = pp.GcmPackets.seal
    count = [0]

    def forging(self, header, plain):
        packet = sealed(self, header, plain)
        if len(packet) > 10000:
            count[0] += 1
            if count[0] == 20:          # the 20th large packet of the run: one bit flipped
                packet[5000] ^= 1
        return packet
    monkeypatch.setattr(pp.GcmPackets, "seal", forging)
    try:
        data, got, _, _ = asyncio.run(transfer(rekey_bytes=1 << 30, size=1 << 20))
    except (OSError, asyncssh.Error):
        pass                            # the client saw the connection end
    else:
        assert len(got) < len(data) and data.startswith(got)
    assert count[0] >= 20


@lean
def test_a_packet_too_short_to_hold_a_type_is_refused_by_asyncssh(stock, monkeypatch):
    """A packet whose length (sealed, so genuine) leaves no room for its type is left to
    asyncssh, which ends the connection as it does for any malformed packet, not as an internal
    error."""
    assert pp.install()
    errors = []
    internal_error = asyncssh.connection.SSHConnection.internal_error

    def recorded(self, *args, **kwargs):
        errors.append(args)
        return internal_error(self, *args, **kwargs)
    monkeypatch.setattr(asyncssh.connection.SSHConnection, "internal_error", recorded)

    async def run():
        async with echo_pair() as (conn, process):
            conn._send(conn._send_encryption.seal(b"\0\0\0\0", b""))    # a length of 0
            conn._send_seq += 1
            return await process.stdout.read()

    try:
        got = asyncio.run(run())
    except (OSError, asyncssh.Error):
        got = b""
    assert got == b"" and errors == []


@lean
def test_ignore_packets_are_taken_on_the_lean_way_in(stock):
    """An IGNORE (as asyncssh's own peers send before every packet) is taken without asyncssh's
    handler; one that does not parse is left to asyncssh, which refuses it."""
    assert pp.install()
    handled = []
    handlers = asyncssh.connection.SSHConnection._packet_handlers
    ignore = asyncssh.constants.MSG_IGNORE
    stock_ignore = handlers[ignore]

    def counting(self, pkttype, pktid, packet):
        handled.append(pkttype)
        return stock_ignore(self, pkttype, pktid, packet)

    async def run(body: bytes):
        async with echo_pair() as (conn, process):
            for _ in range(5):
                conn.send_packet(ignore, body)
            process.stdin.write(b"after")
            process.stdin.write_eof()
            return await process.stdout.read()

    handlers[ignore] = counting
    try:
        assert asyncio.run(run(asyncssh.packet.String(b"padding"))) == b"after"
        assert handled == []
        with pytest.raises((OSError, asyncssh.Error)):
            got = asyncio.run(run(b"\0\0\0\x09short"))     # says 9 bytes, holds 5
            assert got != b"after"
            raise ConnectionError("ended with", got)
    finally:
        handlers[ignore] = stock_ignore
    assert handled == [ignore]      # the first malformed one reached asyncssh, which ended the connection


@lean
def test_no_ignore_before_each_packet(stock):
    _, _, ignored_stock, _ = asyncio.run(transfer(rekey_bytes=1 << 30, size=1 << 20, ignores=True))
    assert ignored_stock > 10       # asyncssh's own: one before every packet
    assert pp.install()
    data, got, ignored, _ = asyncio.run(transfer(rekey_bytes=1 << 30, size=1 << 20, ignores=True))
    assert got == data and ignored == 0


@lean
def test_chacha20_sends_no_ignore_either_and_ctr_keeps_asyncssh_s(stock):
    """The IGNORE is a countermeasure for ciphers whose next IV is known (RFC 4251 9.3.1): left
    out under AEAD ciphers, kept under the others, whose packets stay asyncssh's own."""
    assert pp.install()
    data, got, ignored, _ = asyncio.run(transfer(1 << 30, 1 << 20, cipher="chacha20-poly1305@openssh.com",
                                                 ignores=True))
    assert got == data and ignored == 0
    data, got, ignored, _ = asyncio.run(transfer(1 << 30, 1 << 20, cipher="aes128-ctr", ignores=True))
    assert got == data and ignored > 10


def test_another_asyncssh_release_is_left_as_it_is(stock, monkeypatch, caplog):
    monkeypatch.setattr(asyncssh, "__version__", "9.9.9")
    assert not pp.install() and not pp.installed()
    assert asyncssh.connection.SSHConnection.send_packet is not pp._send_packet
    assert "9.9.9" in caplog.text


# ---- reading a channel a packet's data at a time ----

class Reader:
    """What packet_path.read looks at of asyncssh's SSHReader: its session's received pieces."""

    def __init__(self, *pieces):
        self._session = type("Session", (), {"_recv_buf": {None: list(pieces)}})()
        self._datatype = None
        self.asked = []

    async def read(self, n):
        self.asked.append(n)
        return b""


@lean
def test_data_received_already_is_read_a_packet_at_a_time(stock):
    assert pp.install()
    for pieces, asked in (((b"a" * 10, b"b" * 5), 10),     # the first piece, whole
                          ((b"a" * 300,), 256),             # longer than asked for: as asked
                          ((), 256),                        # nothing yet: as asked
                          ((EOFError(), b"a"), 256)):       # an end or an error first: asyncssh's way
        reader = Reader(*pieces)
        asyncio.run(pp.read(reader, 256))
        assert reader.asked == [asked]
    pp.uninstall()
    reader = Reader(b"a" * 10)
    asyncio.run(pp.read(reader, 256))
    assert reader.asked == [256]        # asyncssh as released: its own read
