"""GetServiceStatus: KMS is always on; the caller's VSMs in the region are its exclusive HSM clusters."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import NoParams
from layers.kms import keys


@action("GetServiceStatus", NoParams, region=REGION_OPTIONAL)
def handle(p: NoParams, ctx: RequestContext) -> dict:
    from layers.cloudhsm.vsms import regional_vsms
    vsms = regional_vsms(ctx, keys.region_of(ctx))
    return {"ServiceEnabled": True, "InvalidType": 1, "UserLevel": 0,
            "ExclusiveVSMEnabled": bool(vsms), "ExclusiveHSMEnabled": bool(vsms),
            "ExclusiveHSMList": [{"HsmClusterId": v["ResourceId"], "HsmClusterName": v.get("ResourceName") or
                                  v["ResourceId"]} for v in vsms],
            "SubscriptionInfo": "", "CmkUserCount": len(keys.visible(ctx)), "CmkLimit": keys.KEY_LIMIT,
            "IsAllowedDataKeyHosted": False, "DataKeyLimit": 0, "FreeDataKeyLimit": 0, "DataKeyUsedCount": 0,
            "SyncTaskList": [], "IsAllowedSync": False, "MultiAccountLimit": 0, "MultiAccountUsedCount": 0}
