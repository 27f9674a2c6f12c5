"""Parameters of the track actions (cloudaudit 2019-03-19): the SDK's structures, their checks as its
descriptions state them, and the checks that keep a track inside its owner's account (bucket, queue,
KMS key). Every check runs before anything is written. The storage mapping is layers/audit/tracks.py's."""
import re
from dataclasses import replace
from typing import List, Optional

from pydantic import Field

from layers import aws
from layers.audit import exports, tracks
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String, Uint64
from layers.regions import DEFAULT_REGION, aws_region, is_known


class Storage(Params):
    StorageType: String
    StorageRegion: String
    StorageName: String
    StoragePrefix: String
    StorageAccountId: Optional[String] = None
    StorageAppId: Optional[String] = None
    Compress: Optional[Uint64] = None


class ResourceField(Params):
    ResourceType: String
    ActionType: String
    EventNames: List[String]


class Filter(Params):
    ResourceFields: Optional[List[ResourceField]] = Field(None, max_length=50)


_NAME = re.compile(r"^[A-Za-z0-9_-]{3,48}$")
_PREFIX = re.compile(r"^[A-Za-z0-9]{3,40}$")
_PRODUCT = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_CMQ_QUEUE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
_CKAFKA = re.compile(r"^([A-Za-z0-9_-]{1,40})/([A-Za-z0-9_.-]{1,64})$")
ACTION_TYPES = {"read": "Read", "write": "Write", "*": "*"}
READ_WRITE = {1: "Read", 2: "Write", 3: "*"}          # UpdateAudit / DescribeAudit ReadWriteAttribute
MAX_EVENT_NAMES = 10


def bad(code: str, message: str) -> ApiError:
    return ApiError(code, message)


def check_name(name: str, field: str = "Name") -> str:
    if not _NAME.match(name or ""):
        raise bad("InvalidParameterValue", f"The value of parameter `{field}` is invalid: 3-48 characters of "
                                           "letters, digits, '-' and '_'.")
    return name


def check_status(status: int) -> int:
    if status not in (tracks.LOGGING, tracks.STOPPED):
        raise bad("InvalidParameterValue", "The value of parameter `Status` is invalid: 0 (stopped) or 1 (logging).")
    return status


def check_action_type(value: str, field: str = "ActionType") -> str:
    norm = ACTION_TYPES.get((value or "").lower())
    if not norm:
        raise bad("InvalidParameterValue.ReadWriteAttributeError",
                  f"The value of parameter `{field}` is invalid: Read, Write or *.")
    return norm


def check_scope(resource_type: str, event_names: List[str], where: str = "") -> tuple:
    """ResourceType "*" or one product; EventNames ["*"] or at most 10 action names ("*" alone when
    ResourceType is "*")."""
    rt = (resource_type or "").strip()
    if rt != "*" and not _PRODUCT.match(rt):
        raise bad("InvalidParameterValue", f"The value of parameter `{where}ResourceType` is invalid: * or one "
                                           "product in lowercase, e.g. kms.")
    names = list(event_names or [])
    if not names:
        raise bad("InvalidParameterValue", f"The value of parameter `{where}EventNames` is invalid: [\"*\"] or "
                                           "a list of action names.")
    if rt == "*" and names != ["*"]:
        raise bad("InvalidParameterValue", f"The value of parameter `{where}EventNames` is invalid: it must be "
                                           "[\"*\"] when ResourceType is *.")
    if "*" in names and names != ["*"]:
        raise bad("InvalidParameterValue", f"The value of parameter `{where}EventNames` is invalid: \"*\" stands "
                                           "alone.")
    if len(names) > MAX_EVENT_NAMES:
        raise bad("InvalidParameterValue", f"The value of parameter `{where}EventNames` is invalid: at most "
                                           f"{MAX_EVENT_NAMES} names.")
    for n in names:
        if n != "*" and not _EVENT_NAME.match(n):
            raise bad("InvalidParameterValue", f"The value of parameter `{where}EventNames` is invalid: `{n}` is "
                                               "not an action name.")
    if len(set(names)) != len(names):
        raise bad("InvalidParameterValue", f"The value of parameter `{where}EventNames` is invalid: a name is "
                                           "repeated.")
    return rt, names


def check_filters(f: Optional[Filter]) -> dict:
    fields = (f.ResourceFields if f else None) or []
    if not fields:
        raise bad("InvalidParameterValue", "The value of parameter `Filters.ResourceFields` is invalid: at least "
                                           "one ResourceField.")
    out = []
    for i, rf in enumerate(fields):
        where = f"Filters.ResourceFields.{i}."
        rt, names = check_scope(rf.ResourceType, rf.EventNames, where)
        out.append({"ResourceType": rt, "ActionType": check_action_type(rf.ActionType, where + "ActionType"),
                    "EventNames": names})
    return {"ResourceFields": out}


def check_members(value: Optional[int]) -> int:
    """TrackForAllMembers: 1 only for an organisation's management account; there are no
    organisations here, so only 0 is possible."""
    if value in (None, 0):
        return 0
    if value == 1:
        raise bad("FailedOperation.MemberNotInOrganization",
                  "TrackForAllMembers=1 needs an organisation's management account; this account is in no "
                  "organisation.")
    raise bad("InvalidParameterValue", "The value of parameter `TrackForAllMembers` is invalid: 0 or 1.")


def check_region(region: str, code: str, field: str) -> str:
    if not is_known(region or ""):
        raise bad(code, f"The value of parameter `{field}` is invalid: `{region}` is not a region this service "
                        "delivers to (ListCosEnableRegion).")
    return region


def check_prefix(prefix: str, field: str = "StoragePrefix") -> str:
    if not _PREFIX.match(prefix or ""):
        raise bad("InvalidParameterValue.LogFilePrefixError",
                  f"The value of parameter `{field}` is invalid: 3-40 letters and digits.")
    return prefix


def own_bucket(name: str, ctx: RequestContext, field: str) -> str:
    """The caller's bucket `<name>-<AppId>` (exports.bucket_name); another account's is refused."""
    try:
        bucket = exports.bucket_name(name or "", ctx.app_id)
    except ApiError as exc:
        raise bad("InvalidParameterValue.CosNameError",
                  f"The value of parameter `{field}` is invalid: " + exc.message.split(": ", 1)[-1]) from None
    return bucket


def bucket_ready(bucket: str, region: str, create: bool) -> None:
    """An existing bucket, or a new one when create: ResourceNotFound.CosNotExist /
    ResourceInUse.CosBucketExists otherwise."""
    try:
        exports.prepare_bucket(bucket, aws_region(region), create)
    except ApiError as exc:
        if exc.code.startswith("ResourceNotFound"):
            raise bad("ResourceNotFound.CosNotExist", f"The bucket `{bucket}` does not exist in {region}: create it "
                                                      "first (UpdateAudit IsCreateNewBucket=1).") from None
        if exc.code == "InvalidParameterValue.BucketIsAlready":
            raise bad("ResourceInUse.CosBucketExists", f"The bucket `{bucket}` already exists.") from None
        raise


def check_storage(s: Storage, ctx: RequestContext, *, check_bucket: bool = True) -> tuple:
    """The SDK Storage of a track -> (stored storage dict, queue or None). COS and CKafka map
    (tracks.py); CLS cannot. StorageAccountId / StorageAppId must be the caller's own."""
    kind = (s.StorageType or "").lower()
    if kind == "cls":
        raise bad("FailedOperation.CheckClsTopicIsExistFailed",
                  "StorageType cls is not available: there is no log service (CLS) here; use cos or ckafka.")
    if kind not in ("cos", "ckafka"):
        raise bad("InvalidParameterValue", "The value of parameter `Storage.StorageType` is invalid: cos, cls or "
                                           "ckafka.")
    if s.StorageAccountId not in (None, "", ctx.account) or s.StorageAppId not in (None, "", ctx.app_id):
        raise bad("FailedOperation.MemberNotInOrganization",
                  "Storage.StorageAccountId / StorageAppId name another account: a track delivers into its own "
                  "account's storage only (there are no organisations here).")
    code = "InvalidParameterValue.CosRegionError" if kind == "cos" else "InvalidParameterValue.CmqRegionError"
    region = check_region(s.StorageRegion, code, "Storage.StorageRegion")
    compress = tracks.GZIP if s.Compress is None else s.Compress
    if compress not in (tracks.GZIP, tracks.PLAIN):
        raise bad("InvalidParameterValue", "The value of parameter `Storage.Compress` is invalid: 1 (compressed) "
                                           "or 2 (not compressed).")
    prefix = check_prefix(s.StoragePrefix, "Storage.StoragePrefix")
    storage = {"StorageType": kind, "StorageRegion": region, "StoragePrefix": prefix,
               "StorageAccountId": ctx.account, "StorageAppId": ctx.app_id, "Compress": compress}
    if kind == "cos":
        bucket = own_bucket(s.StorageName, ctx, "Storage.StorageName")
        if check_bucket:
            bucket_ready(bucket, region, False)
        storage["StorageName"] = bucket[: -len(ctx.app_id) - 1] if ctx.app_id else bucket
        return storage, None
    if not _CKAFKA.match(s.StorageName or ""):
        raise bad("InvalidParameterValue.QueueNameError", "The value of parameter `Storage.StorageName` is invalid: "
                                                          "a ckafka storage is `<instance id>/<topic>`.")
    storage["StorageName"] = s.StorageName
    return storage, {"region": region, "name": s.StorageName}


def check_queue(name: str, region: str) -> dict:
    """UpdateAudit's CMQ queue (checked only; ensure_queue makes or finds it)."""
    if not name or not region:
        raise bad("MissingParameter.cmq", "IsEnableCmqNotify=1 needs CmqQueueName, CmqRegion and IsCreateNewQueue.")
    if not _CMQ_QUEUE.match(name):
        raise bad("InvalidParameterValue.QueueNameError",
                  "The value of parameter `CmqQueueName` is invalid: at most 64 letters, digits and '-', starting "
                  "with a letter.")
    check_region(region, "InvalidParameterValue.CmqRegionError", "CmqRegion")
    return {"region": region, "name": name}


def ensure_queue(queue: dict, ctx: RequestContext, create: bool) -> None:
    """The SQS queue `<name>-<AppId>` a CMQ queue maps to (tracks.sqs_queue_name): made when create,
    else it must exist (ResourceNotFound)."""
    sqs = aws.client("sqs", aws_region_name=aws_region(queue["region"]))
    name = tracks.sqs_queue_name(queue["name"], ctx.app_id)
    if create:
        sqs.create_queue(QueueName=name)
        return
    try:
        sqs.get_queue_url(QueueName=name)
    except sqs.exceptions.QueueDoesNotExist:
        raise bad("ResourceNotFound", f"The queue `{queue['name']}` does not exist in {queue['region']}: create it "
                                      "with IsCreateNewQueue=1.") from None


def kms_key(ctx: RequestContext, key_id: str, region: str):
    """The caller's Enabled ENCRYPT_DECRYPT CMK in region (our own KMS); another account's key is not
    found, as everywhere in KMS."""
    from layers.kms import keys
    from layers.kms.usages import ENCRYPT_DECRYPT
    if not key_id:
        raise bad("MissingParameter", "The parameter `KeyId` is required when IsEnableKmsEncry is 1.")
    try:
        key = keys.find(replace(ctx, region=region, resource_names=[]), key_id)
    except ApiError:
        raise bad("ResourceNotFound", f"The KMS key `{key_id}` is not a key of your account in {region} "
                                      "(ListKeyAliasByRegion lists them).") from None
    if key.doc.get("KeyUsage") != ENCRYPT_DECRYPT or key.state != keys.ENABLED:
        raise bad("FailedOperation", f"The KMS key `{key_id}` cannot encrypt: it must be an Enabled "
                                     "ENCRYPT_DECRYPT key.")
    return key


def kms_alias(ctx: RequestContext, key_id: str, region: str) -> str:
    """The alias of the track's key, "" when the key is gone."""
    if not key_id:
        return ""
    from layers.kms import keys
    try:
        return keys.find(replace(ctx, region=region or DEFAULT_REGION, resource_names=[]), key_id).doc.get("Alias", "")
    except ApiError:
        return ""


def create_track(ctx: RequestContext, *, name: str, status: int, storage: Storage, members: Optional[int],
                 **scope) -> dict:
    """CreateAuditTrack / CreateEventsAuditTrack: the shared checks (name, status, members, limit, storage),
    then the write."""
    track = tracks.Track(account=ctx.account, track_id=0, name=check_name(name), status=check_status(status),
                         track_for_all_members=check_members(members), **scope)
    if tracks.remaining(ctx.account) <= 0:
        raise limit_error()
    track.storage, track.queue = check_storage(storage, ctx)
    try:
        track = tracks.create(track)
    except tracks.NameTaken:
        raise ApiError("ResourceInUse", f"A track named `{track.name}` already exists.") from None
    except tracks.LimitReached:
        raise limit_error() from None
    ctx.touched(track.name, resource_type="track")
    return {"TrackId": track.track_id}


def limit_error() -> ApiError:
    return ApiError("LimitExceeded.OverAmount", f"An account has at most {tracks.TRACK_LIMIT} tracks "
                                                "(InquireAuditCredit says how many more it may create).")


def owned(ctx: RequestContext, track_id: int) -> tracks.Track:
    """The caller's track (another account's is ResourceNotFound.AuditNotExist, as if absent)."""
    track = tracks.get(ctx.account, track_id)
    ctx.touched(track.name, resource_type="track")
    return track


def owned_by_name(ctx: RequestContext, name: str) -> tracks.Track:
    if not _NAME.match(name or ""):         # no track can have it (and it could not be a key)
        raise tracks.not_found(name or "")
    track = tracks.by_name(ctx.account, name)
    ctx.touched(track.name, resource_type="track")
    return track


def keep_name(track: tracks.Track, name: Optional[str]) -> None:
    if name not in (None, "", track.name):
        raise bad("InvalidParameterValue.AuditTrackNameNotSupportModify",
                  "A track's Name cannot be changed: create a new track instead.")


def modify(ctx: RequestContext, track: tracks.Track, *, name: Optional[str], status: Optional[int],
           storage: Optional[Storage], members: Optional[int]) -> None:
    """ModifyAuditTrack / ModifyEventsAuditTrack: what both change (name kept, status, storage, members);
    the caller has set the scope; everything is checked before the one write."""
    keep_name(track, name)
    if status is not None:
        track.status = check_status(status)
    if members is not None:
        track.track_for_all_members = check_members(members)
    if storage is not None:
        was_ckafka = track.storage_type == "ckafka"
        track.storage, queue = check_storage(storage, ctx)
        if queue is not None or was_ckafka:
            track.queue = queue
    tracks.save(track)
