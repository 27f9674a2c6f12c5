"""Parameter structures and value checks the KMS actions share."""
import base64
import binascii
import json
import re
from typing import Callable, List, Literal, Optional, Tuple

from pydantic import Field

from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError, invalid_value
from layers.gateway.schema import Params, String, Uint64
from layers.kms import errors

KEY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")
MAX_CONTEXT = 1024
MAX_DESCRIPTION = 1024


ROLE_USER, ROLE_CLOUD_PRODUCT = 0, 1


class IdList(Params):
    """ListKeys / ListDataKeys: a page of ids."""
    Offset: Uint64 = 0
    Limit: int = Field(10, ge=1, le=200)      # plain int: bounds on Int64/Uint64 do not apply
    Role: int = Field(ROLE_USER, ge=0, le=ROLE_CLOUD_PRODUCT)
    HsmClusterId: Optional[String] = None


def id_page(p: IdList, visible: Callable[[], List[dict]]) -> Tuple[List[dict], int]:
    """The page of what the caller made (Role 0) in the HSM cluster asked for, and the total. Every
    key here is made by its user; none by a cloud product (Role 1)."""
    docs = visible() if p.Role == ROLE_USER else []
    if p.HsmClusterId:
        docs = [d for d in docs if d.get("HsmClusterId") == p.HsmClusterId]
    return docs[p.Offset:p.Offset + p.Limit], len(docs)


class Tag(Params):
    TagKey: String = Field(min_length=1, max_length=127)
    TagValue: Optional[String] = Field(None, max_length=255)


class TagFilter(Params):
    TagKey: String
    TagValue: Optional[list[String]] = None


class MemberAccount(Params):
    MemberAppId: Optional[Uint64] = None
    MemberUin: Optional[Uint64] = None


DEFAULT_CLUSTER = "default"       # HsmClusterId of what is not in a VSM's cluster


class DetailList(IdList):
    """What ListKeyDetail and ListDataKeyDetail share."""
    OrderType: int = Field(0, ge=0, le=1)
    SearchKeyAlias: Optional[String] = None
    Origin: Optional[Literal["TENCENT_KMS", "EXTERNAL", "ALL"]] = None
    TagFilters: Optional[list[TagFilter]] = None
    MemberAccounts: Optional[list[MemberAccount]] = None


def check_detail(ctx: RequestContext, p: DetailList) -> None:
    check_tag_filters(p.TagFilters)
    for member in p.MemberAccounts or []:
        check_member(ctx, member)


def detail_page(p: DetailList, docs: List[dict], id_field: str, name_field: str) -> Tuple[List[dict], int]:
    """The shared filters (search, HSM cluster, tags), then newest first unless OrderType 1, then the page."""
    if p.SearchKeyAlias:
        needle = p.SearchKeyAlias.lower()
        docs = [d for d in docs if needle in d[id_field] or needle in d[name_field].lower()]
    if p.HsmClusterId:
        cluster = "" if p.HsmClusterId == DEFAULT_CLUSTER else p.HsmClusterId
        docs = [d for d in docs if d.get("HsmClusterId", "") == cluster]
    if p.TagFilters:
        docs = [d for d in docs if tags_match(d, p.TagFilters)]
    if p.OrderType == 0:
        docs = docs[::-1]
    return docs[p.Offset:p.Offset + p.Limit], len(docs)


def check_member(ctx: RequestContext, member: Optional[MemberAccount]) -> None:
    """Trusted-service member accounts are not offered: only the caller's own account may be named."""
    if member is None:
        return
    uin_ok = member.MemberUin in (None, 0) or str(member.MemberUin) == ctx.account
    app_ok = member.MemberAppId in (None, 0) or str(member.MemberAppId) == ctx.app_id
    if uin_ok and app_ok:
        return
    raise ApiError("UnsupportedOperation.NotRoleOperation",
                   "MemberAccount names another account: multi-account management is not offered.")


def check_key_id(key_id: str) -> str:
    if not KEY_ID.match(key_id or ""):
        raise errors.invalid_key_id(key_id)
    return key_id


def check_key_ids(key_ids: list) -> list:
    """Each KeyId well formed, and none twice (InvalidParameterValue.DuplicatedKeyId)."""
    for key_id in key_ids:
        check_key_id(key_id)
    if len(set(key_ids)) != len(key_ids):
        raise ApiError("InvalidParameterValue.DuplicatedKeyId", "Each KeyId may appear once in KeyIds.")
    return key_ids


def check_alias(alias: str) -> str:
    if not ALIAS.match(alias or ""):
        raise errors.invalid_alias(alias, "1-60 letters, digits, - and _, starting with a letter or digit")
    if alias.lower().startswith("kms-"):
        raise errors.invalid_alias(alias, "the kms- prefix is reserved for keys that cloud products create")
    return alias


def check_description(description: Optional[str]) -> str:
    description = description or ""
    if len(description.encode()) > MAX_DESCRIPTION:
        raise invalid_value("Description", f"must be at most {MAX_DESCRIPTION} bytes")
    return description


def check_tags(tags) -> list:
    keys = [t.TagKey for t in tags or []]
    if len(keys) != len(set(keys)):
        raise ApiError("InvalidParameterValue.TagKeysDuplicated", "Each TagKey may appear once in Tags.")
    return [{"TagKey": t.TagKey, "TagValue": t.TagValue or ""} for t in tags or []]


def check_tag_filters(filters) -> None:
    """Each TagKey once in TagFilters (its values go in one filter's TagValue)."""
    tag_keys = [f.TagKey for f in filters or []]
    if len(tag_keys) != len(set(tag_keys)):
        raise ApiError("InvalidParameterValue.TagKeysDuplicated",
                       "Each TagKey may appear once in TagFilters; list its values in one filter's TagValue.")


def tags_match(doc: dict, filters) -> bool:
    """Whether a resource's Tags carry every filter's TagKey (with one of its TagValues, if any are given)."""
    tags = {t["TagKey"]: t.get("TagValue", "") for t in doc.get("Tags") or []}
    return all(f.TagKey in tags and (not f.TagValue or tags[f.TagKey] in f.TagValue) for f in filters)


def b64decode(name: str, text: str, *, code: str = "") -> bytes:
    """Standard base64 (as the SDK sends it); a bad value is InvalidParameterValue (or `code`)."""
    try:
        return base64.b64decode(text or "", validate=True)
    except (binascii.Error, ValueError):
        if code:
            raise ApiError(code, f"The value of parameter `{name}` is not valid base64.") from None
        raise invalid_value(name, "not valid base64") from None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


def encryption_context(name: str, text: Optional[str]) -> str:
    """The canonical form of an EncryptionContext (a JSON object), or "" when none is given."""
    if not text:
        return ""
    if len(text) > MAX_CONTEXT:
        raise invalid_value(name, f"must be at most {MAX_CONTEXT} characters")
    try:
        value = json.loads(text)
    except ValueError:
        raise invalid_value(name, 'must be a JSON object of key/value pairs, e.g. {"key1":"value1"}') from None
    if not isinstance(value, dict):
        raise invalid_value(name, 'must be a JSON object of key/value pairs, e.g. {"key1":"value1"}')
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# For fields named MemberAccount: in a class body `MemberAccount: Optional[MemberAccount] = None`
# would annotate with the field's own default (None), so the structure goes by this name there.
Member = MemberAccount
