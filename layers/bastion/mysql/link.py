"""One TCP connection of a MySQL session (the client's, or the target's), as the proxy's protocol.

The login reads it by awaiting bytes (`readexactly`, what protocol.Packets needs) and writes with
`write`/`drain`; the target's link is upgraded in place by `start_tls`. The command phase then
hands the link a sink (`attach`): from then on every callback goes straight to it and nothing is
buffered here. `attach` returns what had come and not been read yet, and whether the peer had
already ended its side, so nothing is lost at the hand-over.
"""
import asyncio
from typing import Callable, List, Optional, Tuple

READ_LIMIT = 256 * 1024         # buffered and unread during the login before the peer is paused


class Link(asyncio.Protocol):

    def __init__(self, on_connected: Optional[Callable[["Link"], None]] = None) -> None:
        self.on_connected = on_connected        # a server's: starts the session
        self.transport: Optional[asyncio.Transport] = None
        self.buffer = bytearray()
        self.eof = False
        self.lost = False
        self.sink: Optional[asyncio.Protocol] = None
        self.tls = False
        self._reading_paused = False
        self._write_paused = False
        self._waiter: Optional[asyncio.Future] = None
        self._drainers: List[asyncio.Future] = []

    # ---- transport callbacks ----
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport      # type: ignore[assignment]
        if self.on_connected is not None:
            self.on_connected(self)

    def data_received(self, data: bytes) -> None:
        if self.sink is not None:
            self.sink.data_received(data)
            return
        self.buffer += data
        if len(self.buffer) > READ_LIMIT and not self._reading_paused:
            self._reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> Optional[bool]:
        if self.sink is not None:
            return self.sink.eof_received()
        self.eof = True
        self._wake()
        return None if self.tls else True           # half-open: an error packet can still be sent

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.eof, self.lost = True, True
        if self.sink is not None:
            self.sink.connection_lost(exc)
            return
        self._wake()
        for waiter in self._drainers:
            if not waiter.done():
                waiter.set_exception(ConnectionResetError("the connection was lost"))
        self._drainers.clear()

    def pause_writing(self) -> None:
        self._write_paused = True
        if self.sink is not None:
            self.sink.pause_writing()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self.sink is not None:
            self.sink.resume_writing()
            return
        for waiter in self._drainers:
            if not waiter.done():
                waiter.set_result(None)
        self._drainers.clear()

    # ---- the login's side ----
    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def readexactly(self, n: int) -> bytes:
        """n bytes; asyncio.IncompleteReadError when the peer ends first (as a StreamReader's)."""
        while len(self.buffer) < n:
            if self.eof:
                partial = bytes(self.buffer)
                self.buffer.clear()
                raise asyncio.IncompleteReadError(partial, n)
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        if self._reading_paused and len(self.buffer) <= READ_LIMIT and not self.transport.is_closing():
            self._reading_paused = False
            self.transport.resume_reading()
        return data

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    async def drain(self) -> None:
        """As a StreamWriter's: waits while the transport's buffer is full; ConnectionResetError
        once the connection is lost."""
        if self.transport.is_closing():
            await asyncio.sleep(0)      # lets connection_lost run
        if self.lost:
            raise ConnectionResetError("the connection was lost")
        if self._write_paused:
            waiter = asyncio.get_running_loop().create_future()
            self._drainers.append(waiter)
            await waiter

    async def start_tls(self, context) -> None:
        """The connection upgraded to TLS (this side the client of the handshake), in place."""
        loop = asyncio.get_running_loop()
        self.transport = await loop.start_tls(self.transport, self, context)
        self.tls = True

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def get_extra_info(self, name: str, default=None):
        return self.transport.get_extra_info(name, default) if self.transport is not None else default

    # ---- the command phase ----
    def attach(self, sink: asyncio.Protocol) -> Tuple[bytes, bool]:
        """From now on `sink` gets every callback. Returns the bytes read and not yet taken, and
        whether the peer had ended its side; reading resumes if the login's limit had paused it."""
        self.sink = sink
        left, self.buffer = bytes(self.buffer), bytearray()
        if self._reading_paused:
            self._reading_paused = False
            if not self.transport.is_closing():
                self.transport.resume_reading()
        if self._write_paused:
            sink.pause_writing()
        return left, self.eof
