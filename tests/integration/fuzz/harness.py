"""Runs cases through an in-process Gateway and checks each answer and the audit events it left.

The emitter is the real one in spool mode with the shipper switched off: emit() appends to the
spool file exactly as in production, and the lines it appended are what would reach the queue."""
import collections
import json
import time
from dataclasses import dataclass
from typing import List, Optional

from helpers import AllowAll, SpoolRecorder
from layers.gateway.pipeline import Gateway

from . import wire
from .cases import Case

SQS_MAX = 256 * 1024
REPORTED = 20


@dataclass
class Failure:
    case: Case
    kind: str
    detail: str

    def line(self) -> str:
        return f"{self.case.describe()}: {self.kind}: {self.detail}"


def _short(text: str, n: int = 160) -> str:
    text = repr(text) if not text.isprintable() else text
    return text if len(text) <= n else text[:n] + f"... ({len(text)} chars)"


def check_answer(result) -> tuple:
    """(problems, RequestId, error code) of one (status, headers, body)."""
    status, headers, body = result
    problems, request_id, code = [], None, None
    if status != 200:
        problems.append(("http-status", f"HTTP {status}"))
    if headers.get("Content-Type") != "application/json":
        problems.append(("content-type", f"Content-Type {headers.get('Content-Type')!r}"))
    try:
        resp = json.loads(body.decode("utf-8"))["Response"]
        request_id = resp["RequestId"]
        assert isinstance(request_id, str) and request_id
        if "Error" in resp:
            code, message = resp["Error"]["Code"], resp["Error"]["Message"]
            assert isinstance(code, str) and isinstance(message, str)
            if code == "InternalError":
                problems.append(("InternalError", message))
    except Exception as exc:
        problems.append(("envelope", f"not a Tencent envelope ({type(exc).__name__}): {_short(repr(body[:200]))}"))
    return problems, request_id, code


def check_events(case: Case, lines: List[bytes], request_id: Optional[str], owner_uin: str) -> list:
    problems = []
    expected = case.expect_events
    if (expected is None and len(lines) > 1) or (expected is not None and len(lines) != expected):
        want = "at most 1" if expected is None else str(expected)
        problems.append(("event-count", f"{len(lines)} audit events, expected {want}"))
    for line in lines:
        if len(line) > SQS_MAX:
            problems.append(("event-too-large", f"{len(line)} bytes > {SQS_MAX} (the SQS limit)"))
        try:
            event = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            problems.append(("event-not-utf8", _short(repr(line[:120]))))
            continue
        except ValueError:
            problems.append(("event-not-json", _short(repr(line[:120]))))
            continue
        if request_id is not None and event.get("RequestId") != request_id:
            problems.append(("event-request-id", f"event {event.get('RequestId')!r} for response {request_id!r}"))
        if case.wrong_signature and event.get("IdentityType") != "Unauthenticated":
            problems.append(("bad-signature-identity", f"IdentityType={event.get('IdentityType')!r}"))
        if case.wrong_signature and owner_uin in (event.get("PrincipalId"), event.get("Username")):
            problems.append(("bad-signature-as-owner", f"PrincipalId={event.get('PrincipalId')!r} "
                             f"Username={event.get('Username')!r} is the key owner's root Uin"))
    return problems


class Runner:
    def __init__(self, account: dict, spool_dir: str) -> None:
        self.account = account
        self.recorder = SpoolRecorder(spool_dir)
        self.gateway = Gateway(limiter=AllowAll(), emitter=self.recorder)
        self.failures: List[Failure] = []
        self.requests = 0
        self.slowest = (0.0, None)
        self.answers = collections.Counter()    # error code, or "success"

    def run(self, case: Case) -> None:
        def fail(kind: str, detail: str) -> None:
            self.failures.append(Failure(case, kind, detail))

        try:
            req = wire.special(self.account, case) if case.special else \
                wire.encode(self.account, case, case.params, case.style)
        except Exception as exc:
            fail("harness", f"could not build the request: {type(exc).__name__}: {exc}")
            return
        self.requests += 1
        # Each request from an address of its own: a budget of failed authentications per
        # address must not turn the later cases into refusals that check nothing.
        n = self.requests
        req.source_ip = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        started = time.perf_counter()
        try:
            result = self.gateway.handle(req)
        except Exception as exc:   # the route would answer 500
            fail("handle-raised", f"{type(exc).__name__}: {_short(str(exc))}")
            self.recorder.take()
            return
        elapsed = time.perf_counter() - started
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, case)
        problems, request_id, code = check_answer(result)
        self.answers[code or "success"] += 1
        if case.wrong_signature and code is None:
            problems.append(("bad-signature-accepted", "answered with success"))
        problems += check_events(case, self.recorder.take(), request_id, self.account["OwnerUin"])
        for kind, detail in problems:
            fail(kind, detail)

    def report(self) -> str:
        by_kind = collections.Counter((f.kind, f.case.mutation) for f in self.failures)
        lines = [f"{len(self.failures)} problems in {self.requests} requests "
                 f"({len({id(f.case) for f in self.failures})} requests failed)", "by problem and mutation:"]
        lines += [f"  {kind} × {mutation}: {n}" for (kind, mutation), n in sorted(by_kind.items())]
        lines.append(f"first {min(REPORTED, len(self.failures))}:")
        lines += ["  " + f.line() for f in self.failures[:REPORTED]]
        return "\n".join(lines)
