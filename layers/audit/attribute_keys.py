"""The lookup keys of DescribeEvents (2019-03-19) and how GetAttributeKey shows them.

The keys are the ones tencentcloud-sdk-python's DescribeEventsRequest.LookupAttributes lists
(目前支持: RequestId … Tags), in its order, plus Location (IP 归属地, layers/audit/location.py),
which DescribeEvents also filters on. GetAttributeKey answers them as `AttributeKeyDetail`s:
    Value      the AttributeKey
    Label      its name on the console, in the WebsiteType's language (zh, en)
    LabelType  the console's input for its value: "text" (free text), "select" (ActionType:
               Read/Write; SensitiveAction: true/false) or "tags" (a JSON list of {"key","value"})
    Starter    the value the input starts with ("" for free text)
    Order      its place in the console's list, from 1
"""
from typing import Dict, List, Tuple

# (AttributeKey, zh label, en label, LabelType, Starter)
DESCRIBE_EVENTS_KEYS: Tuple[Tuple[str, str, str, str, str], ...] = (
    ("RequestId", "请求 ID", "Request ID", "text", ""),
    ("EventName", "事件名称", "Event name", "text", ""),
    ("ActionType", "操作类型", "Action type", "select", "Write"),
    ("PrincipalId", "子账号", "Sub-account", "text", ""),
    ("ResourceType", "资源类型", "Resource type", "text", ""),
    ("ResourceId", "资源 ID", "Resource ID", "text", ""),
    ("ResourceName", "资源名称", "Resource name", "text", ""),
    ("AccessKeyId", "密钥 ID", "Access key ID", "text", ""),
    ("SensitiveAction", "是否敏感操作", "Sensitive action", "select", "true"),
    ("ApiErrorCode", "API 错误码", "API error code", "text", ""),
    ("CamErrorCode", "CAM 错误码", "CAM error code", "text", ""),
    ("SourceIPAddress", "请求 IP", "Source IP", "text", ""),
    ("Tags", "标签", "Tags", "tags", '[{"key":"","value":""}]'),
    ("Location", "IP 归属地", "IP location", "text", ""),
)
KEYS: Tuple[str, ...] = tuple(k for k, *_ in DESCRIBE_EVENTS_KEYS)
WEBSITE_TYPES = ("zh", "en")


def details(website_type: str) -> List[Dict]:
    """GetAttributeKey's AttributeKeyDetails for a WebsiteType ("zh" or "en")."""
    english = website_type == "en"
    return [{"LabelType": label_type, "Starter": starter, "Order": i, "Value": key,
             "Label": en if english else zh}
            for i, (key, zh, en, label_type, starter) in enumerate(DESCRIBE_EVENTS_KEYS, start=1)]
