"""DynamoDB's requests one at a time in moto, as DynamoDB itself applies a conditional write:
moto's server answers requests on many threads and its DynamoDB backend holds no lock, so two
conditional updates of one item could both pass their condition (a rate limit's lease, a name's
claim) where DynamoDB lets only one. Imported for its effect by the moto servers the local stack
starts (python -m infra.moto_atomic, as `python -m moto.server`; infra/moto_state.py), with
the costs per request of infra/moto_dynamodb.py and infra/moto_sqs.py."""
import functools
import threading

from moto.dynamodb.responses import DynamoHandler

from infra import moto_dynamodb, moto_sqs  # noqa: F401 (for their effect: what a request costs)

_one_at_a_time = threading.RLock()


def _atomic(call_action):
    @functools.wraps(call_action)
    def serialized(self):
        with _one_at_a_time:
            return call_action(self)
    serialized.atomic = True
    return serialized


if not getattr(DynamoHandler.call_action, "atomic", False):
    DynamoHandler.call_action = _atomic(DynamoHandler.call_action)


if __name__ == "__main__":
    import os

    from moto import server

    # A moto without a state directory has nothing to write at exit, and freeing what a long
    # test session left in it took the interpreter over 10 s: a stop ends the process at once.
    server.signal_handler = lambda signum, frame: os._exit(0)
    server.main()
