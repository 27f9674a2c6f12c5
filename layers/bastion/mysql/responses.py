"""Where a target's response to a command ends, read off the packets as they are relayed: each
packet is fed to a Response, which says when the response is complete and keeps, per result, its
affected rows, rows returned and error (never the rows themselves)."""
import struct
from dataclasses import dataclass, field
from typing import List, Optional

from layers.bastion.mysql import protocol as p

RESULTS, PREPARE, SINGLE, FIELDS, ROWS = "results", "prepare", "single", "fields", "rows"


@dataclass
class Result:
    affected: int = 0
    rows: int = 0
    error: Optional[p.Err] = None
    result_set: bool = False


@dataclass
class Response:
    """The response to one command, fed a packet payload at a time (only its first packet of a
    payload that spans several); `done` once complete."""
    kind: str
    deprecate_eof: bool
    results: List[Result] = field(default_factory=list)
    done: bool = False
    state: str = "first"
    left: int = 0                 # column definitions still to come
    stmt_id: int = 0              # COM_STMT_PREPARE: the statement's id and parameter count
    params: int = 0
    columns: int = 0
    cursor: bool = False

    def feed(self, payload: bytes) -> None:
        head = payload[:1]
        if self.kind == SINGLE:
            if head == b"\xff":
                self.results.append(Result(error=p.parse_err(payload)))
            elif head in (b"\x00", b"\xfe"):
                self.results.append(Result(affected=p.parse_ok(payload).affected if head == b"\x00" else 0))
            self.done = True
            return
        if self.kind == FIELDS:
            if head == b"\xff":
                self.results.append(Result(error=p.parse_err(payload)))
                self.done = True
            elif p.is_eof(payload, True):
                self.results.append(Result(result_set=True))
                self.done = True
            return
        if self.kind == ROWS:
            self.state = "rows" if self.state == "first" else self.state
            if not self.results:
                self.results.append(Result(result_set=True))
        if self.kind == PREPARE:
            self._prepare(payload, head)
            return
        state = self.state
        if state == "first":
            if head == b"\xff":
                self.results.append(Result(error=p.parse_err(payload)))
                self.done = True
            elif head == b"\x00":
                ok = p.parse_ok(payload)
                self.results.append(Result(affected=ok.affected))
                self.done = not ok.status & p.SERVER_MORE_RESULTS_EXISTS
            elif head == b"\xfb":                   # LOCAL INFILE: not negotiated, so not followed
                self.results.append(Result(error=p.Err(0, "HY000", "LOAD DATA LOCAL is not relayed")))
                self.done = True
            else:
                self.left, _ = p.read_lenenc(payload, 0)
                self.results.append(Result(result_set=True))
                self.state = "columns"
        elif state == "columns":
            self.left -= 1
            if self.left == 0:
                self.state = "rows" if self.deprecate_eof else "columns_eof"
        elif state == "columns_eof":
            status = p.eof_status(payload, False)
            if status & p.SERVER_STATUS_CURSOR_EXISTS:
                self.done = True                    # rows come with COM_STMT_FETCH
            self.state = "rows"
        elif state == "rows":
            if head == b"\xff":
                self.results[-1].error = p.parse_err(payload)
                self.done = True
            elif p.is_eof(payload, self.deprecate_eof):
                status = p.eof_status(payload, self.deprecate_eof)
                if self.kind == ROWS or not status & p.SERVER_MORE_RESULTS_EXISTS:
                    self.done = True
                else:
                    self.state = "first"
            else:
                self.results[-1].rows += 1

    def _prepare(self, payload: bytes, head: bytes) -> None:
        if self.state == "first":
            if head != b"\x00":
                self.results.append(Result(error=p.parse_err(payload) if head == b"\xff" else None))
                self.done = True
                return
            self.stmt_id, self.columns, self.params = struct.unpack_from("<IHH", payload, 1)
            self.results.append(Result())
            self.state = "defs"
            self.left = self.params + (0 if self.deprecate_eof or not self.params else 1) \
                + self.columns + (0 if self.deprecate_eof or not self.columns else 1)
            self.done = self.left == 0
            return
        self.left -= 1
        self.done = self.left <= 0
