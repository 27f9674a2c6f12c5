"""The account a key belongs to, as KeyMetadata (AccountUin, AccountAppId, AccountName) and
GetServiceStatus (its request limits) show it. Read from the identity table and kept a minute."""
import threading
import time
from dataclasses import dataclass

from layers import aws
from layers.config import settings
from layers.gateway.action import RequestContext

CACHE_SECONDS = 60
_CACHE_LIMIT = 10_000
_cache: dict = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Owner:
    uin: str
    app_id: str
    name: str
    rate_limit: int          # requests/s per action: the account's own limit, else the default

    @property
    def uin_number(self) -> int:
        return int(self.uin) if self.uin.isdigit() else 0

    @property
    def app_id_number(self) -> int:
        return int(self.app_id) if self.app_id.isdigit() else 0


def _s(item: dict, name: str) -> str:
    v = item.get(name) or {}
    return v.get("S") or v.get("N") or ""


def of(ctx: RequestContext) -> Owner:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(ctx.account)
    if hit and hit[1] > now:
        return hit[0]
    item = aws.client("dynamodb").get_item(TableName=settings().identity_table,
                                           Key={"pk": {"S": f"ACCOUNT#{ctx.account}"}}).get("Item") or {}
    owner = Owner(uin=ctx.account, app_id=_s(item, "AppId") or ctx.app_id, name=_s(item, "Name") or ctx.account,
                  rate_limit=int(_s(item, "RateLimit") or 0) or settings().default_rate_limit)
    with _lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[ctx.account] = (owner, now + CACHE_SECONDS)
    return owner
