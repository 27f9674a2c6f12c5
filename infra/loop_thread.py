"""An asyncio server on an event loop of its own, in a thread: how the local stack runs the SSH
gateway and the demo target host beside its other parts."""
import asyncio
import threading
from typing import Awaitable, Callable, Optional

SHUTDOWN_WAIT = 5.0     # s: what stop() gives the loop's tasks (sessions writing their ends) to finish


class LoopServer:
    """`serve` makes the server (an asyncssh acceptor) on the loop; `port` once started.
    `new_loop` makes the loop (default asyncio's own)."""

    def __init__(self, name: str, serve: Callable[[], Awaitable], timeout: float = 15,
                 new_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop) -> None:
        self.name, self.serve, self.timeout = name, serve, timeout
        self.loop = new_loop()
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

    def stop(self, drain: Optional[Callable[[], None]] = None) -> None:
        """Stop listening, call `drain` on the loop (close the connections), give the loop's tasks
        SHUTDOWN_WAIT to end and cancel the rest, then stop the loop."""
        async def shutdown() -> None:
            if self.acceptor is not None:
                self.acceptor.close()
            if drain is not None:
                drain()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_WAIT)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

        if self.thread and self.thread.is_alive() and self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(SHUTDOWN_WAIT + 5)
            except Exception:       # noqa: BLE001 - the loop stops anyway
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread:
            self.thread.join(5)
