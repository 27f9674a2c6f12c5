"""Publishing to the session-log queue: one JSON message per event (its formats are described in
session_log.py, sessions.py and login_events.py; functions/events/bastion_session_log.py reads
them)."""
import json

from layers import aws
from layers.bastion import config

_urls: dict = {}


def _url() -> str:
    name = config.session_log_queue()
    url = _urls.get(name)
    if url is None:
        url = _urls[name] = aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
    return url


def publish(message: dict) -> None:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    aws.client("sqs").send_message(QueueUrl=_url(), MessageBody=body)
