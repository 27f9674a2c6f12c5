"""An asyncio server on an event loop of its own, in a thread: how the local stack runs the SSH
gateway and the demo target host beside its other parts."""
import asyncio
import threading
from typing import Awaitable, Callable, Optional


class LoopServer:
    """`serve` makes the server (an asyncssh acceptor) on the loop; `port` once started."""

    def __init__(self, name: str, serve: Callable[[], Awaitable], timeout: float = 15) -> None:
        self.name, self.serve, self.timeout = name, serve, timeout
        self.loop = asyncio.new_event_loop()
        self.port: Optional[int] = None
        self.acceptor = None
        self.error: Optional[BaseException] = None
        self.thread: Optional[threading.Thread] = None

    def start(self) -> "LoopServer":
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.acceptor = self.loop.run_until_complete(self.serve())
                self.port = self.acceptor.sockets[0].getsockname()[1]
            except BaseException as exc:
                self.error = exc
                return
            finally:
                ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name=self.name, daemon=True)
        self.thread.start()
        ready.wait(self.timeout)
        if self.error is not None:
            raise RuntimeError(f"{self.name} cannot listen: {self.error}")
        return self

    def stop(self) -> None:
        if self.acceptor is not None:
            self.loop.call_soon_threadsafe(self.acceptor.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread:
            self.thread.join(5)
