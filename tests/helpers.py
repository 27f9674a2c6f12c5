"""Shared test helpers: SDK clients against the local endpoint, signed raw requests, the audit queue."""
import json
import time
from typing import List, Optional
from urllib.parse import urlencode

from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from layers import aws
from layers.gateway import signature_v1, signature_v3
from layers.gateway.audit_emitter import AuditEmitter, Spool
from layers.gateway.audit_message import lines_of
from layers.gateway.request import HttpRequest


def profile(endpoint: str, method: str = "POST", sign: str = "TC3-HMAC-SHA256") -> ClientProfile:
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint, reqMethod=method),
                         signMethod=sign)


def credential_of(acct: dict, secret_key: Optional[str] = None) -> credential.Credential:
    return credential.Credential(acct["SecretId"], secret_key or acct["SecretKey"], acct.get("Token"))


def common_client(endpoint: str, acct: dict, service: str, version: str, *, region: str = "ap-guangzhou",
                  method: str = "POST", sign: str = "TC3-HMAC-SHA256", secret_key: Optional[str] = None):
    return CommonClient(service, version, credential_of(acct, secret_key), region, profile(endpoint, method, sign))


def error_code(fn, *args, **kwargs) -> str:
    try:
        fn(*args, **kwargs)
    except TencentCloudSDKException as exc:
        return exc.code
    raise AssertionError("the call succeeded")


class AuditQueue:
    def __init__(self, url: str) -> None:
        self.url = url

    def clear(self) -> None:
        """Drop what the queue holds now: one PurgeQueue (the session's stack runs no pump, so the
        queue can hold thousands of events, which take seconds to drain one receive at a time),
        or, within a minute of the last purge (SQS allows one a minute), drained."""
        from botocore.exceptions import ClientError
        try:
            aws.client("sqs").purge_queue(QueueUrl=self.url)
        except ClientError as exc:
            if "PurgeQueueInProgress" not in exc.response.get("Error", {}).get("Code", ""):
                raise
            self.collect()

    def collect(self, wait_for: int = 0, timeout: float = 5.0) -> list:
        """Drain the queue (a message holds one event or several packed); with wait_for, keep
        draining until that many events arrived."""
        sqs = aws.client("sqs")
        events, deadline = [], time.monotonic() + timeout
        while True:
            got = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                      VisibilityTimeout=30).get("Messages", [])
            events.extend(json.loads(line) for m in got for line in lines_of(m["Body"]))
            if got:
                sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
            if not got and (len(events) >= wait_for or time.monotonic() > deadline):
                return events

    def by_request(self, request_id: str, timeout: float = 5.0) -> dict:
        found = [e for e in self.collect(wait_for=1, timeout=timeout) if e["RequestId"] == request_id]
        assert len(found) == 1, f"expected one audit event for {request_id}, got {len(found)}"
        return found[0]


# ---- raw requests for the in-process gateway ----

def tc3_request(acct: dict, action: str, params: dict, *, service: str = "cloudhsm", version: str = "2019-11-12",
                region: Optional[str] = "ap-guangzhou", host: str = "127.0.0.1:9000", method: str = "POST",
                timestamp: Optional[int] = None, secret_key: Optional[str] = None, token: Optional[str] = None,
                content_type: Optional[str] = None, body: Optional[bytes] = None,
                scope_date: Optional[str] = None, scope_service: Optional[str] = None) -> HttpRequest:
    ts = int(time.time()) if timestamp is None else timestamp
    date = scope_date or signature_v3.scope_date(ts)
    if method == "GET":
        query_pairs = list(flatten(params).items())
        canonical_query = urlencode(query_pairs)
        payload = b""
        ctype = content_type or "application/x-www-form-urlencoded"
    else:
        query_pairs, canonical_query = [], ""
        payload = body if body is not None else json.dumps(params).encode()
        ctype = content_type or "application/json"
    headers = {"content-type": ctype, "host": host, "x-tc-action": action, "x-tc-version": version,
               "x-tc-timestamp": str(ts)}
    if region:
        headers["x-tc-region"] = region
    if token:
        headers["x-tc-token"] = token
    svc = scope_service or service
    canonical = signature_v3.canonical_request(method, canonical_query, headers, ("content-type", "host"),
                                               signature_v3.payload_hash(payload, headers))
    sig = signature_v3.sign(secret_key or acct["SecretKey"], date, svc,
                            signature_v3.string_to_sign(str(ts), date, svc, canonical))
    headers["authorization"] = signature_v3.authorization_header(acct["SecretId"], date, svc, sig)
    return HttpRequest(method=method, headers=headers, query=query_pairs, body=payload, source_ip="127.0.0.1")


def v1_request(acct: dict, action: str, params: dict, *, version: str = "2019-11-12", region: str = "ap-guangzhou",
               host: str = "127.0.0.1:9000", method: str = "GET", nonce: Optional[int] = 0, timestamp: Optional[int] = None,
               sign_method: str = "HmacSHA1", secret_key: Optional[str] = None) -> HttpRequest:
    all_params = {"Action": action, "Version": version, "Region": region, "SecretId": acct["SecretId"],
                  "Timestamp": str(int(time.time()) if timestamp is None else timestamp),
                  "Nonce": str(nonce or int(time.time() * 1e6) % 10 ** 12), **flatten(params)}
    if nonce is None:
        del all_params["Nonce"]
    if sign_method != "HmacSHA1":
        all_params["SignatureMethod"] = sign_method
    pairs = [(k, str(v)) for k, v in all_params.items()]
    to_sign = signature_v1.string_to_sign(method, host, pairs)
    pairs.append(("Signature", signature_v1.sign(secret_key or acct["SecretKey"], to_sign, sign_method)))
    headers = {"host": host}
    if method == "GET":
        return HttpRequest(method="GET", headers=headers, query=pairs, source_ip="127.0.0.1")
    headers["content-type"] = "application/x-www-form-urlencoded"
    return HttpRequest(method="POST", headers=headers, query=[], body=urlencode(pairs).encode(), source_ip="127.0.0.1")


def flatten(params: dict, prefix: str = "") -> dict:
    out = {}
    items = params.items() if isinstance(params, dict) else enumerate(params)
    for k, v in items:
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, (dict, list)):
            out.update(flatten(v, key))
        else:
            out[key] = str(v).lower() if isinstance(v, bool) else str(v)
    return out


def response_of(result) -> dict:
    status, headers, body = result
    assert status == 200 and headers["Content-Type"] == "application/json"
    return json.loads(body)["Response"]


# ---- the gateway's audit events as they would reach the queue ----

class AllowAll:
    """A rate limiter that never refuses, so RequestLimitExceeded never hides validation."""

    def allow(self, *args, **kwargs) -> bool:
        return True


class SpoolRecorder(AuditEmitter):
    """The spool-mode emitter as production runs it, minus the shipper: emit() appends to the
    spool file exactly as in production, and the lines appended are what would reach the queue."""

    def __init__(self, directory: str) -> None:
        super().__init__(mode="spool")
        self._spool = Spool(directory, "recorded")

    def _ensure_shipper(self) -> None:
        pass

    def take(self) -> List[bytes]:
        """The lines appended since the last call (a trailing partial line included as it is)."""
        spool = self._spool
        start = spool.committed()
        with open(spool.path, "rb") as f:
            f.seek(start)
            data = f.read()
        spool.commit(start + len(data))   # as the shipper does; the file restarts past 8 MB
        lines = data.split(b"\n")
        return lines[:-1] if lines[-1] == b"" else lines

    def events(self) -> list:
        return [json.loads(line.decode("utf-8")) for line in self.take()]
