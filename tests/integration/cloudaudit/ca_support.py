"""CloudAudit test support: audit events built by the gateway's own builder, a private
osmem-server (so failure plans can stop, freeze and restart it for real), queue helpers, and
delivery through the app's real Chalice handlers with the local pump."""
import json
import signal
import time
import uuid
from types import SimpleNamespace

from infra import services
from infra.pump import Pump
from layers import aws
from layers.audit.document import family, to_event
from layers.audit.lookup import MAX_MS
from layers.search.opensearch import OpenSearchStore
from layers.search.query import Family, Record, Search
from layers.gateway.action import ActionSpec, RequestContext
from layers.gateway.audit_event import build
from layers.gateway.schema import NoParams
from layers.timeids import uuid7


def make_event(account: str, event_time_ms: int, *, action: str = "DescribeVsms", service: str = "cloudhsm",
               params: dict = None, error: str = "", resources=(), resource_type: str = "", uin: str = "",
               source_ip: str = "10.1.2.3", secret_id: str = "AKIDtestkey000000000001") -> dict:
    # ids minted at the event's time, as the gateway mints them (layers/timeids.py)
    ctx = RequestContext(request_id=str(uuid7(event_time_ms)), service=service, version="2019-11-12", action=action,
                         region="ap-guangzhou", account=account, app_id="1250000001", uin=uin or account,
                         secret_id=secret_id, source_ip=source_ip, user_agent="pytest",
                         authenticated=True)
    ctx.touched(*resources, resource_type=resource_type)
    spec = ActionSpec(name=action, input=NoParams, handler=lambda p, c: {}, resource_type=resource_type)
    event = build(ctx=ctx, spec=spec, params=params or {}, http_method="POST", signature_method="TC3-HMAC-SHA256",
                  error_code=error, error_message=f"{error} happened" if error else "")
    event["EventTime"], event["EventId"] = event_time_ms, uuid7(event_time_ms).hex
    return event


def new_account() -> str:
    return str(100000000000 + uuid.uuid4().int % 800000000000)


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


class OwnOsmem:
    """A private osmem-server child that tests may stop, freeze, restart and make read-only."""

    def __init__(self) -> None:
        self.port = services.free_port()
        self.store = None
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: the process stops answering (connections hang) until thaw()."""
        self.svc.proc.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while _state(self.svc.proc.pid) not in ("T", "t") and time.monotonic() < deadline:
            time.sleep(0.01)

    def thaw(self) -> None:
        self.svc.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.svc.stop()

    def start(self) -> None:
        self.svc = services.opensearch_server(self.port).start()
        self.store = OpenSearchStore(self.svc.url, timeout=2.0)
        # The first index a fresh osmem-server creates loads its analyzers (~1 s): do it now.
        warm, family = OpenSearchStore(self.svc.url, timeout=30), Family("warm-up", words=("Words",))
        warm.write(family, [Record("x", 0, "0", {"Words": "预热 warm"})])
        warm.drop_day(family, warm.days(family)[0])


def send(queue_url: str, events) -> None:
    sqs = aws.client("sqs")
    bodies = [e if isinstance(e, str) else json.dumps(e, ensure_ascii=False) for e in events]
    for i in range(0, len(bodies), 10):
        sqs.send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(j), "MessageBody": b} for j, b in enumerate(bodies[i:i + 10])])


def depth(queue_url: str) -> int:
    attrs = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"])
    return sum(int(v) for v in attrs["Attributes"].values())


class Delivery:
    """The app's real `audit_indexer` handler, fed from a test queue by the local pump."""

    def __init__(self, stack, queue_name: str, handler: str = "audit_indexer", handler_fn=None) -> None:
        app = SimpleNamespace(handler_map={handler: handler_fn or stack.app.handler_map[handler]}, event_sources=[])
        self.pump = Pump(app)
        self.source = SimpleNamespace(queue=queue_name, batch_size=10, name=handler)

    def once(self) -> int:
        return self.pump.deliver_once(self.source)

    def drain(self, max_rounds: int = 200) -> int:
        total = 0
        for _ in range(max_rounds):
            got = self.once()
            if not got:
                return total
            total += got
        raise AssertionError("the queue did not drain")


def ids_in_store(store, account: str, prefix: str = "traillog_server_log") -> list:
    """Every EventId stored for an account, across all days, newest first."""
    hits = store.search(Search(family(prefix), account, 0, MAX_MS, size=10000)).hits
    return [to_event(h.source)["EventId"] for h in hits]


def now_ms() -> int:
    return int(time.time() * 1000)
