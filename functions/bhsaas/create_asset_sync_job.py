"""CreateAssetSyncJob: sync the account's assets from the cloud inventory now (Category 1: hosts
from EC2, 2: databases from RDS). The job runs on the asset-sync queue; while it runs,
DescribeAssetSyncStatus shows InProcess, and a second job of the same category is
FailedOperation.TooFrequent."""
from layers.bastion import asset_sync, fields
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    Category: fields.choice(1, 2)


@action("CreateAssetSyncJob", Input, region=REGION_IGNORED, resource_type="device")
def handle(p: Input, ctx: RequestContext) -> dict:
    asset_sync.start_job(ctx.account, p.Category)
    return {}
