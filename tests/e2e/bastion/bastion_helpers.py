"""Bastion tests: the typed DasbClient of tencentcloud-sdk-python against the local endpoint."""
import json
import warnings

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.dasb.v20191018 import dasb_client, models

from helpers import common_client, credential_of, profile


class Bastion:
    """call("CreateUser", UserName=...) -> the response as a dict, through the typed client;
    actions the SDK lacks (DescribeLicenseUsage, the *DasbResource ones) go through CommonClient."""

    def __init__(self, endpoint: str, acct: dict) -> None:
        self.acct = acct
        self.typed = dasb_client.DasbClient(credential_of(acct), "ap-guangzhou", profile(endpoint))
        self.common = common_client(endpoint, acct, "dasb", "2019-10-18")

    def call(self, action: str, **params) -> dict:
        if not hasattr(self.typed, action):
            return self.common.call_json(action, params)["Response"]
        request = getattr(models, f"{action}Request")()
        with warnings.catch_warnings():
            warnings.simplefilter("error")      # a parameter the SDK model lacks would be dropped silently
            request.from_json_string(json.dumps(params))
        response = getattr(self.typed, action)(request)
        return json.loads(response.to_json_string())

    def raw(self, action: str, **params) -> dict:
        """Through CommonClient: parameters the typed models cannot express (unknown names, wrong types)."""
        return self.common.call_json(action, params)["Response"]

    def error(self, action: str, **params) -> str:
        try:
            self.call(action, **params)
        except TencentCloudSDKException as exc:
            return exc.code
        raise AssertionError(f"{action} succeeded")

    def raw_error(self, action: str, **params) -> str:
        try:
            self.raw(action, **params)
        except TencentCloudSDKException as exc:
            return exc.code
        raise AssertionError(f"{action} succeeded")

    # ---- small builders used across the tests ----
    def user(self, name: str, **extra) -> int:
        params = {"UserName": name, "RealName": name.title(), "Phone": "13800000000", **extra}
        return self.call("CreateUser", **params)["Id"]

    def devices(self, *ips: str, os_name: str = "Linux", port: int = 22) -> list:
        return self.call("ImportExternalDevice", DeviceSet=[{"OsName": os_name, "Ip": ip, "Port": port}
                                                            for ip in ips])["DeviceIdSet"]

    def department(self, name: str, parent: str = "1") -> str:
        """A new department's Id (departments are managed by `guardzone bastion department`)."""
        from layers.bastion import departments
        return departments.create(self.acct["OwnerUin"], name, parent)["Id"]

    def resource(self, nodes: int = 10, **extra) -> str:
        params = {"ResourceEdition": "standard", "ResourceNode": nodes, "TimeUnit": "m", "TimeSpan": 1,
                  "DeployRegion": "ap-guangzhou", "DeployZone": "ap-guangzhou-3", **extra}
        return self.call("CreateResource", **params)["ResourceId"]


def new_account(rate_limit: int = 10000) -> dict:
    from layers import identity
    acct = identity.create_account("bastion-test", rate_limit=rate_limit)
    return {**acct, **identity.create_key(acct["OwnerUin"])}
