"""DescribeDeviceAccounts: device accounts, by IdSet (other filters ignored) or by DeviceId
(required without IdSet), with Account as a fuzzy filter. Only whether a password or private key
is hosted is shown, never the credential."""
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import checks, fields, filters, store, views
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import missing
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    IdSet: Optional[fields.IdSet] = None
    Account: Optional[String] = None
    DeviceId: Optional[Uint64] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20


@action("DescribeDeviceAccounts", Input, region=REGION_IGNORED, resource_type="deviceaccount")
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.IdSet:
        found = filters.by_id(store.get_many(ctx.account, "account", p.IdSet))
    else:
        if p.DeviceId is None:
            raise missing("DeviceId")
        checks.require(store.get_many(ctx.account, "device", [p.DeviceId]).get(p.DeviceId), p.DeviceId, checks.DEVICE)
        found = [a for a in filters.by_id(store.load_all(ctx.account, "account"))
                 if a["DeviceId"] == p.DeviceId and filters.fuzzy(p.Account, a["Account"])]
    return {"TotalCount": len(found),
            "DeviceAccountSet": [views.device_account(a) for a in filters.page(found, p.Offset, p.Limit)]}
