"""CreateResource: buy a bastion resource (edition, licensed nodes, term) and, with one of the
caller's VPCs, open the service there. A VPC that already has a bastion service is
FailedOperation.VPCDeployed.

LbVipIsp may be left out (empty: reached from the VPC only), which is what the documentation
describes as its default; the response carries the new ResourceId as the SDK declares it."""
from layers.bastion import fields, resources, store, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError


class Input(resources.Purchase):
    AutoRenewFlag: fields.choice(0, 1, 2) = 0
    Trial: fields.choice(0, 1) = 0


@action("CreateResource", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    network = resources.check_placement(p, ctx.account)
    created = times.now()

    def write(tx: store.Tx) -> str:
        existing = tx.all("resource").values()
        if p.VpcId and any(r.get("VpcId") == p.VpcId for r in existing):
            raise ApiError("FailedOperation.VPCDeployed", f"VPC {p.VpcId} already has a bastion service; "
                           "choose another VPC.")
        taken = {r["ResourceId"] for r in existing}
        rid = resources.new_resource_id()
        while rid in taken:
            rid = resources.new_resource_id()
        (num,) = tx.new_ids("resource")
        tx.put("resource", {
            "Id": num, "ResourceId": rid, "ApCode": p.DeployRegion, "Zone": p.DeployZone,
            "VpcId": p.VpcId or "", "SubnetId": p.SubnetId or "", **network, "LbVipIsp": p.LbVipIsp,
            "ResourceEdition": p.ResourceEdition, "ResourceNode": p.ResourceNode, "MbpExp": p.MbpExp,
            "NodeExp": p.NodeExp, "TimeUnit": p.TimeUnit, "TimeSpan": p.TimeSpan, "PayMode": p.PayMode,
            "RenewFlag": p.AutoRenewFlag, "Trial": p.Trial, "UsedNodes": 0, "CreateTime": times.iso(created),
            "ExpireTime": times.iso(times.add_months(created, p.TimeSpan)),
        })
        return rid

    rid = store.transaction(ctx.account, write)
    ctx.touched(rid)
    return {"ResourceId": rid}
