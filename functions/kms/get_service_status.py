"""GetServiceStatus: KMS is always on (the standard edition: no flagship purchase, so the Pro* fields are
empty); the caller's VSMs in the region are its exclusive HSM clusters; QpsLimit is the requests per
second each action allows the account (the gateway's limit, per action and account)."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import NoParams
from layers.kms import keys, owner


@action("GetServiceStatus", NoParams, region=REGION_OPTIONAL)
def handle(p: NoParams, ctx: RequestContext) -> dict:
    from layers.cloudhsm.vsms import regional_vsms
    region = keys.region_of(ctx)
    vsms = regional_vsms(ctx, region)
    qps = owner.of(ctx).rate_limit
    return {"ServiceEnabled": True, "InvalidType": 1, "UserLevel": 0,
            "ExclusiveVSMEnabled": bool(vsms), "ExclusiveHSMEnabled": bool(vsms),
            "ExclusiveHSMList": [{"HsmClusterId": v["ResourceId"], "HsmClusterName": v.get("ResourceName") or
                                  v["ResourceId"]} for v in vsms],
            "SubscriptionInfo": "", "CmkUserCount": len(keys.visible(ctx)), "CmkLimit": keys.KEY_LIMIT,
            "IsAllowedDataKeyHosted": False, "DataKeyLimit": 0, "FreeDataKeyLimit": 0, "DataKeyUsedCount": 0,
            "SyncTaskList": [], "IsAllowedSync": False, "MultiAccountLimit": 0, "MultiAccountUsedCount": 0,
            "ProExpireTime": 0, "ProRenewFlag": 0, "ProResourceId": "",
            "QpsLimit": qps, "QpsTotalLimit": qps, "RegionsQps": [{"Region": region, "Qps": qps}],
            "ResourceZone": 0, "ResourceRegion": 0}
