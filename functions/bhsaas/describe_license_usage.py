"""DescribeLicenseUsage: the account's license usage per billing item: bastion resources in
service and asset nodes bound to them."""
from layers.bastion import billing, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import NoParams

RESOURCES_ITEM = billing.SUB_PRODUCT_CODE
NODES_ITEM = "sv_cds_dasb_bh_saas_node"


@action("DescribeLicenseUsage", NoParams, region=REGION_IGNORED, resource_type="resource")
def handle(p: NoParams, ctx: RequestContext) -> dict:
    live = [r for r in store.load_all(ctx.account, "resource").values() if not billing.expired(r)]
    return {"LicenseUsageList": [
        {"ProductId": RESOURCES_ITEM, "UsageValue": len(live)},
        {"ProductId": NODES_ITEM, "UsageValue": sum(r.get("UsedNodes", 0) for r in live)},
    ]}
