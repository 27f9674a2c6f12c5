"""The command lines of a session onto the session-log queue, in the form SearchCommand,
SearchCommandBySid and SearchSessionCommand read (layers/bastion/session_log.py):
each with its session's fields, the time it was entered and its offset in the recording."""
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import List

from layers import aws
from layers.bastion import config, times
from layers.bastion.ssh.access import Grant

log = logging.getLogger("guardzone.bastion.gateway")
ALLOWED, REFUSED = 1, 2         # Command.Action: 1 allowed, 2 refused, 3 confirmed
_sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="session-log")
_url: dict = {}
_url_lock = threading.Lock()


def queue_url() -> str:
    name = config.session_log_queue()
    with _url_lock:
        if name not in _url:
            _url[name] = aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
        return _url[name]


def send(messages: List[dict]) -> None:
    """Blocking: the messages onto the session-log queue, ten a call."""
    sqs = aws.client("sqs")
    for i in range(0, len(messages), 10):
        chunk = messages[i:i + 10]
        resp = sqs.send_message_batch(QueueUrl=queue_url(), Entries=[
            {"Id": str(j), "MessageBody": json.dumps(m, ensure_ascii=False)} for j, m in enumerate(chunk)])
        if resp.get("Failed"):
            raise RuntimeError(f"the session-log queue refused {len(resp['Failed'])} messages")


def session_fields(grant: Grant, from_ip: str) -> dict:
    """Who reached what: the fields a session's record and each of its events carry."""
    d, u = grant.device, grant.user
    return {"UserName": u["UserName"], "RealName": u.get("RealName", ""), "Account": grant.device_account["Account"],
            "FromIp": from_ip, "InstanceId": d.get("InstanceId", ""), "DeviceName": d.get("Name", ""),
            "PublicIp": d.get("PublicIp", ""), "PrivateIp": d.get("PrivateIp", "")}


def session_info(grant: Grant, from_ip: str, sid: str, started: float, protocol: str, kind: int) -> dict:
    """What sessions.start() takes."""
    return {"Sid": sid, **session_fields(grant, from_ip), "ApCode": grant.device.get("ApCode", ""),
            "Protocol": protocol, "Kind": kind, "StartTime": int(started * 1000)}


class Publisher:
    """A session's commands: publish() hands them to a sender thread; flush() waits for them."""

    def __init__(self, grant: Grant, sid: str, started: float, from_ip: str) -> None:
        self.base = {"Type": "command", "AccountId": grant.owner, "Sid": sid, **session_fields(grant, from_ip),
                     "SessionTime": times.iso(times.from_millis(int(started * 1000)))}
        self.pending = []
        self._last_ms = 0

    def stamp(self) -> int:
        """Now in epoch ms, later than the session's previous event: the searches sort by Time,
        and events of one millisecond would come back in any order."""
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return self._last_ms

    def message(self, text: str, offset_ms: int, action: int = ALLOWED) -> dict:
        return {**self.base, "EventId": str(uuid.uuid4()), "Time": self.stamp(), "Cmd": text,
                "Action": action, "TimeOffset": int(offset_ms)}

    def publish(self, lines, action: int = ALLOWED) -> None:
        self.submit([self.message(line.text, line.offset_ms, action) for line in lines])

    def submit(self, messages: List[dict]) -> None:
        """Messages of the session onto the queue, by the sender thread (flush() waits for them)."""
        self.pending.append(_sender.submit(self._send, messages))

    @staticmethod
    def _send(messages: List[dict]) -> None:
        for attempt in range(5):
            try:
                send(messages)
                return
            except Exception as exc:
                log.warning("session commands not sent yet (%s)", type(exc).__name__)
                time.sleep(0.2 * (attempt + 1))
        log.error("%d session commands could not be sent", len(messages))

    def flush(self) -> None:
        for f in self.pending:
            f.result()
        self.pending = []
