"""The MySQL proxy's connection protocol (layers/bastion/mysql/link.py) over real loopback sockets:
awaited reads during the login, nothing lost or reordered at the hand-over to the command phase's
callbacks, the peer's end seen either side of it, and the login's read limit pausing a flooding peer."""
import asyncio
import socket

import pytest

from layers.bastion.mysql import link as link_module
from layers.bastion.mysql.link import Link


class Sink(asyncio.Protocol):
    def __init__(self) -> None:
        self.data = bytearray()
        self.lost = asyncio.get_running_loop().create_future()
        self.got = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        self.data += data
        self.got.set()

    def connection_lost(self, exc) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)


async def pair():
    """(the server side's Link, the peer's plain socket)."""
    loop = asyncio.get_running_loop()
    accepted = loop.create_future()
    server = await loop.create_server(lambda: Link(on_connected=accepted.set_result), "127.0.0.1", 0)
    peer = socket.create_connection(server.sockets[0].getsockname()[:2])
    peer.setblocking(False)
    link = await asyncio.wait_for(accepted, 5)
    server.close()
    return link, peer


async def until(predicate, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached in time")


def test_reads_then_hands_over_what_was_not_read():
    async def main():
        link, peer = await pair()
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(peer, b"abcd" + b"first command" + b"second")
        assert await link.readexactly(4) == b"abcd"
        await until(lambda: len(link.buffer) == len(b"first commandsecond"))
        sink = Sink()
        left, ended = link.attach(sink)
        assert (left, ended) == (b"first commandsecond", False)
        await loop.sock_sendall(peer, b" and more")
        await asyncio.wait_for(sink.got.wait(), 5)
        assert bytes(sink.data) == b" and more"          # straight to the sink, nothing kept back
        assert link.buffer == b""
        link.write(b"answer")
        assert await loop.sock_recv(peer, 100) == b"answer"
        peer.close()
        assert await asyncio.wait_for(sink.lost, 5) is None
    asyncio.run(main())


def test_the_peers_end_before_the_hand_over_is_reported_and_reads_stop_short():
    async def main():
        link, peer = await pair()
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(peer, b"xy")
        peer.shutdown(socket.SHUT_WR)
        with pytest.raises(asyncio.IncompleteReadError) as info:
            await link.readexactly(4)
        assert info.value.partial == b"xy"
        link.write(b"still open for the error packet")         # half-open: writing still works
        await link.drain()
        assert await loop.sock_recv(peer, 100) == b"still open for the error packet"
        assert link.attach(Sink()) == (b"", True)
        peer.close()
        link.close()
    asyncio.run(main())


def test_a_lost_connection_fails_drain():
    async def main():
        link, peer = await pair()
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        peer.close()                                    # RST
        await until(lambda: link.lost)
        with pytest.raises(ConnectionResetError):
            await link.drain()
    asyncio.run(main())


def test_a_peer_flooding_the_login_is_paused_and_resumed(monkeypatch):
    monkeypatch.setattr(link_module, "READ_LIMIT", 64 * 1024)

    async def main():
        link, peer = await pair()
        loop = asyncio.get_running_loop()
        flood = bytes(range(256)) * 65536               # 16 MiB, more than the socket buffers take
        sending = asyncio.ensure_future(loop.sock_sendall(peer, flood))
        await until(lambda: link._reading_paused)
        await asyncio.sleep(0.2)
        assert not sending.done()                       # the peer is held back by TCP
        assert len(link.buffer) <= 64 * 1024 + 256 * 1024    # the limit and one read past it
        got = bytearray()
        while len(got) < len(flood):
            got += await link.readexactly(min(32 * 1024, len(flood) - len(got)))
        await asyncio.wait_for(sending, 5)
        assert bytes(got) == flood
        peer.close()
        link.close()
    asyncio.run(main())
