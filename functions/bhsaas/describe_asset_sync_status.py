"""DescribeAssetSyncStatus: when the last sync of a category finished, how it ended
(0 never run, 1 succeeded, 2 failed) and whether one is running."""
from layers.bastion import asset_sync, fields
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    Category: fields.choice(1, 2)


@action("DescribeAssetSyncStatus", Input, region=REGION_IGNORED, resource_type="device")
def handle(p: Input, ctx: RequestContext) -> dict:
    return {"Status": asset_sync.status(ctx.account, p.Category)}
