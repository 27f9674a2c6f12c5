"""moto's SQS made to send a message without counting the queue's messages.

moto 5 builds every attribute of a queue (ApproximateNumberOfMessages among them, which looks
at each message and the clock) to read one of them, and SendMessage reads one on every send
(ContentBasedDeduplication): each send cost as much as the queue held. Here a queue's attributes
are a mapping that works each one out when it is read, with the same names, order and values.
Imported for its effect by infra/moto_atomic.py.
"""
import json
from collections.abc import Mapping

from moto.core.utils import camelcase_to_underscores
from moto.sqs.models import Queue


class QueueAttributes(Mapping):
    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        self._names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            self._names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:
            self._names += queue.KMS_ATTRIBUTES

    def __getitem__(self, name: str):
        if name not in self._names:
            raise KeyError(name)
        queue = self._queue
        if name == "Policy" and queue.policy:
            return queue.policy
        if name == "RedrivePolicy" and queue.redrive_policy:
            return json.dumps(queue.redrive_policy)
        value = getattr(queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


Queue.attributes = property(QueueAttributes)
