"""The Guardzone API client the native library uses: the KMS-shaped JSON API and CloudHSM, signed
with TC3-HMAC-SHA256 by tencentcloud-sdk-python's CommonClient (keep-alive HTTP, one client per
thread)."""
import threading
from typing import List, Tuple

from layers.hsm_native.config import Config

VERSIONS = {"kms": "2019-01-18", "cloudhsm": "2019-11-12"}
NETWORK_CODES = {"ClientNetworkError", "ServerNetworkError", "ClientError"}


class ApiError(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class Unreachable(ApiError):
    """The endpoint could not be reached (network, TLS, timeout)."""


class Client:
    def __init__(self, cfg: Config, cred: Tuple[str, str], timeout: int = 30) -> None:
        self.cfg, self.cred, self.timeout = cfg, cred, timeout
        self._local = threading.local()

    def _client(self, service: str):
        clients = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        if service not in clients:
            from tencentcloud.common import credential
            from tencentcloud.common.common_client import CommonClient
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            http = HttpProfile(protocol=self.cfg.protocol, endpoint=self.cfg.host, reqMethod="POST",
                               reqTimeout=self.timeout, keepAlive=True)
            clients[service] = CommonClient(service, VERSIONS[service], credential.Credential(*self.cred),
                                            self.cfg.region, ClientProfile(httpProfile=http, signMethod="TC3-HMAC-SHA256"))
        return clients[service]

    def call(self, service: str, action: str, params: dict) -> dict:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        try:
            body = self._client(service).call_json(action, params)
        except TencentCloudSDKException as exc:
            cls = Unreachable if exc.code in NETWORK_CODES or not exc.code else ApiError
            raise cls(exc.code or "ClientNetworkError", exc.message) from None
        except OSError as exc:
            raise Unreachable("ClientNetworkError", str(exc)) from None
        return body["Response"]

    def vsms(self) -> List[dict]:
        """The credential's VSMs in the region, oldest first."""
        found, offset = [], 0
        while True:
            page = self.call("cloudhsm", "DescribeVsms", {"Offset": offset, "Limit": 100})
            found += page.get("VsmList") or []
            offset += 100
            if offset >= page.get("TotalCount", 0):
                break
        return list(reversed(found))     # DescribeVsms lists newest first
