"""rz/sz in a terminal session: recognising the start of a ZMODEM transfer in its byte streams.

`sz FILE` on the target sends ZRQINIT (`**\\x18B00...`, a hex header) on its output: a download
to the operator's terminal. `rz` on the target sends ZRINIT (`**\\x18B01...`): an upload from the
operator's terminal. Seen in the operator's input instead, the same headers mean the terminal
started the transfer (ZRQINIT: it sends, an upload; ZRINIT: it receives, a download).

    watch = ZmodemWatch()
    watch.output(chunk) -> "down" | "up" | None     # target -> operator
    watch.input(chunk)  -> "down" | "up" | None     # operator -> target

A transfer is reported once, at its start; the watch is then quiet until the transfer ends
(ZFIN, `**\\x18B08`, or five CANs in a row: an abort) or `reset()`. Headers split across chunks
are found. To stop a transfer, send ABORT to both sides.
"""
from typing import Optional

HEADER = b"**\x18B"                        # a hex header: what every start below begins with
ZRQINIT = b"**\x18B00"
ZRINIT = b"**\x18B01"
ZFIN = b"**\x18B08"
CANCEL = b"\x18" * 5
ABORT = b"\x18" * 8 + b"\x08" * 8          # what lrzsz sends to cancel: 8 CAN, then 8 backspaces
UP, DOWN = "up", "down"
_KEEP = len(ZRQINIT) - 1


class _Stream:
    __slots__ = ("tail",)

    def __init__(self) -> None:
        self.tail = b""

    def window(self, data: bytes) -> Optional[bytes]:
        """The chunk with the end of the one before it (a header split between them), or None
        when neither holds a ZDLE/CAN byte: nothing to look at, and no copy of a large chunk."""
        tail = self.tail
        self.tail = (tail + data)[-_KEEP:] if len(data) < _KEEP else data[-_KEEP:]
        if b"\x18" not in data and b"\x18" not in tail:
            return None
        return tail + data if tail else data


class ZmodemWatch:
    def __init__(self) -> None:
        self._out, self._in = _Stream(), _Stream()
        self.active: Optional[str] = None       # the direction of the transfer under way

    def output(self, data: bytes) -> Optional[str]:
        """Target -> operator bytes: the direction of a transfer that starts in them, else None."""
        return self._scan(self._out.window(data), {ZRQINIT: DOWN, ZRINIT: UP})

    def input(self, data: bytes) -> Optional[str]:
        """Operator -> target bytes: the direction of a transfer the operator's terminal starts."""
        return self._scan(self._in.window(data), {ZRQINIT: UP, ZRINIT: DOWN})

    def reset(self) -> None:
        self.active = None

    def _scan(self, data: Optional[bytes], starts: dict) -> Optional[str]:
        if data is None:                        # the common case: no ZDLE/CAN at all
            return None
        if self.active is not None:
            if ZFIN in data or CANCEL in data:
                self.active = None
            return None
        first = None
        for header, direction in starts.items():
            at = data.find(header)
            if at >= 0 and (first is None or at < first[0]):
                first = (at, direction)
        if first is None:
            return None
        rest = data[first[0]:]
        if ZFIN in rest or CANCEL in rest:      # started and ended within the chunk
            return first[1]
        self.active = first[1]
        return first[1]
