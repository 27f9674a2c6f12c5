"""Stored events -> what callers see: the `Events` structure of each API version, the
console's "查看事件" JSON (CloudAuditEvent), and export rows."""
import datetime as dt
import json
from typing import List, Tuple

from layers.audit import catalog
from layers.audit.document import resource_ids
from layers.audit.location import event_location

BEIJING = dt.timezone(dt.timedelta(hours=8))
PROJECT_NONE = "--"


def local_time(ms: int) -> str:
    """EventTime as the console shows it: Beijing time, to the second."""
    return dt.datetime.fromtimestamp(ms / 1000, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _uin(value: str):
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _cn(event: dict) -> Tuple[str, str]:
    service = event.get("Service", "")
    return (catalog.event_name_cn(service, event.get("EventName", "")),
            catalog.resource_type_cn(service, event.get("ResourceType", "")))


def cloud_audit_event(event: dict) -> dict:
    """The full event, keyed as the console's "查看事件" dialog shows it."""
    name_cn, type_cn = _cn(event)
    account, principal = event.get("AccountId", ""), event.get("PrincipalId", "")
    return {
        "actionType": event.get("ActionType", ""),
        "apiErrorCode": event.get("ApiErrorCode", ""),
        "apiErrorMessage": event.get("ApiErrorMessage", ""),
        "apiVersion": event.get("ApiVersion", ""),
        "errorCode": event.get("ErrorCode", 0),
        "errorMessage": event.get("ApiErrorMessage", ""),
        "eventID": event.get("EventId", ""),
        "eventName": event.get("EventName", ""),
        "eventNameCn": name_cn,
        "eventRegion": event.get("EventRegion", ""),
        "eventSource": event.get("EventSource", ""),
        "eventTime": local_time(int(event.get("EventTime", 0))),
        "eventTimestamp": int(event.get("EventTime", 0)),
        "eventType": "ApiCall",
        "eventVersion": "1.0",
        "httpMethod": event.get("HttpMethod", ""),
        "region": event.get("EventRegion", ""),
        "requestID": event.get("RequestId", ""),
        "requestParameters": event.get("RequestParameters", {}),
        "project": PROJECT_NONE,
        "readOnly": bool(event.get("ReadOnly", False)),
        "resourceName": event.get("ResourceName", ""),
        "resourceType": event.get("ResourceType", ""),
        "resourceTypeCn": type_cn,
        "resources": [{"resourceType": r.get("ResourceType", ""), "resourceName": r.get("ResourceName", "")}
                      for r in event.get("Resources") or [] if isinstance(r, dict)],
        "sensitiveAction": bool(event.get("SensitiveAction", False)),
        "signatureMethod": event.get("SignatureMethod", ""),
        "sourceIPAddress": event.get("SourceIPAddress", ""),
        "userAgent": event.get("UserAgent", ""),
        "userIdentity": {
            "accountId": account,
            "appId": event.get("AppId", ""),
            "principalId": principal,
            "secretId": event.get("SecretId", ""),
            # events written before IdentityType: the root user's Uin is the account's
            "type": event.get("IdentityType") or ("root" if principal and principal == account else "CAMUser"),
            "userName": event.get("Username", ""),
        },
    }


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _resource(event: dict) -> dict:
    return {"ResourceType": event.get("ResourceType", ""), "ResourceName": ",".join(resource_ids(event))}


def events_20190304(event: dict) -> dict:
    """One item of LookupEvents' `Events` (2019-03-04, the seed's structure)."""
    name_cn, type_cn = _cn(event)
    ms = int(event.get("EventTime", 0))
    return {
        "EventId": event.get("EventId", ""),
        "EventName": event.get("EventName", ""),
        "EventNameCn": name_cn,
        "EventTime": str(ms // 1000),
        "SecretId": event.get("SecretId", ""),
        "ErrorCode": int(event.get("ErrorCode", 0) or 0),
        "RequestId": event.get("RequestId", ""),
        "AccountId": _uin(event.get("AccountId", "")),
        "SourceIPAddress": event.get("SourceIPAddress", ""),
        "EventSource": event.get("EventSource", ""),
        "EventRegion": event.get("EventRegion", ""),
        "Username": event.get("Username", ""),
        "Resources": {**_resource(event), "ResourceRegion": event.get("EventRegion", ""), "ResourceTypeCn": type_cn},
        "UserSign": event.get("SignatureMethod", ""),
        "ApiErrorCode": event.get("ApiErrorCode", ""),
        "ApiErrorMessage": event.get("ApiErrorMessage", ""),
        "Project": PROJECT_NONE,
        "ResourceTypeCn": type_cn,
        "ResourceRegion": event.get("EventRegion", ""),
        "ReadWriteDetail": event.get("ActionType", ""),
        "CloudAuditEvent": _json(cloud_audit_event(event)),
    }


def event_20190319(event: dict, *, location: bool = True) -> dict:
    """One item of LookUpEvents' and DescribeEvents' `Events` (2019-03-19, tencentcloud-sdk-python's
    `Event`). location: fill Location (IP 归属地: layers/audit/location.py), else "" (DescribeEvents'
    IsReturnLocation 0)."""
    name_cn, type_cn = _cn(event)
    ms = int(event.get("EventTime", 0))
    return {
        "EventId": event.get("EventId", ""),
        "Username": event.get("Username", ""),
        "EventTime": str(ms // 1000),
        "CloudAuditEvent": _json(cloud_audit_event(event)),
        "ResourceTypeCn": type_cn,
        "ErrorCode": int(event.get("ErrorCode", 0) or 0),
        "EventName": event.get("EventName", ""),
        "SecretId": event.get("SecretId", ""),
        "EventSource": event.get("EventSource", ""),
        "RequestID": event.get("RequestId", ""),
        "ResourceRegion": event.get("EventRegion", ""),
        "AccountID": _uin(event.get("AccountId", "")),
        "SourceIPAddress": event.get("SourceIPAddress", ""),
        "EventNameCn": name_cn,
        "Resources": _resource(event),
        "EventRegion": event.get("EventRegion", ""),
        "Location": event_location(event) if location else "",
    }


# ---- export rows ----
CSV_COLUMNS: List[Tuple[str, str, str]] = [
    # (key, English header, Chinese header)
    ("EventTime", "EventTime", "事件时间"),
    ("Username", "Username", "用户名"),
    ("EventName", "EventName", "事件名称"),
    ("EventNameCn", "EventNameCn", "事件名称(中文)"),
    ("ResourceType", "ResourceType", "资源类型"),
    ("ResourceName", "ResourceName", "资源名称"),
    ("EventId", "EventId", "事件ID"),
    ("RequestId", "RequestId", "请求ID"),
    ("EventSource", "EventSource", "事件源"),
    ("EventRegion", "EventRegion", "区域"),
    ("SourceIPAddress", "SourceIPAddress", "源IP地址"),
    ("SecretId", "SecretId", "访问密钥"),
    ("ErrorCode", "ErrorCode", "错误码"),
    ("ApiErrorCode", "ApiErrorCode", "接口错误码"),
    ("ApiErrorMessage", "ApiErrorMessage", "接口错误信息"),
    ("ActionType", "ActionType", "读写类型"),
    ("AccountId", "AccountId", "主账号ID"),
    ("PrincipalId", "PrincipalId", "操作者ID"),
    ("RequestParameters", "RequestParameters", "请求参数"),
]


def csv_header(language: str) -> List[str]:
    return [zh if language == "zh" else en for _, en, zh in CSV_COLUMNS]


def csv_row(event: dict) -> List[str]:
    name_cn, _ = _cn(event)
    values = {
        **{k: event.get(k, "") for k, _, _ in CSV_COLUMNS},
        "EventTime": local_time(int(event.get("EventTime", 0))),
        "EventNameCn": name_cn,
        "RequestParameters": _json(event.get("RequestParameters", {})),
    }
    return ["" if values[k] is None else str(values[k]) for k, _, _ in CSV_COLUMNS]
