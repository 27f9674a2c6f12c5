"""Tracks in the SDK's response shapes (cloudaudit 2019-03-19): `Tracks`, DescribeAuditTrack,
and the 2019 "audit" views `AuditSummary` / DescribeAudit (AuditName == Name)."""
from layers.audit.tracks import GZIP, Track

_STORAGE = (("StorageType", "cos"), ("StorageRegion", ""), ("StorageName", ""), ("StoragePrefix", ""),
            ("StorageAccountId", ""), ("StorageAppId", ""), ("Compress", GZIP))
_READ_WRITE = {"Read": 1, "Write": 2, "*": 3}


def storage(track: Track) -> dict:
    return {k: track.storage.get(k, d) for k, d in _STORAGE}


def scope(track: Track) -> dict:
    """ActionType, ResourceType, EventNames: a Filters track (CreateEventsAuditTrack) has none of its own
    ("", "", []); its ResourceFields say it."""
    if track.filters:
        return {"ActionType": "", "ResourceType": "", "EventNames": []}
    return {"ActionType": track.action_type, "ResourceType": track.resource_type,
            "EventNames": list(track.event_names)}


def filters(track: Track) -> dict:
    """Filters; a plain track's own scope is its one ResourceField."""
    if track.filters:
        return track.filters
    return {"ResourceFields": [{"ResourceType": track.resource_type, "ActionType": track.action_type,
                                "EventNames": list(track.event_names)}]}


def tracks_item(track: Track) -> dict:
    return {"Name": track.name, **scope(track), "Status": track.status, "Storage": storage(track),
            "CreateTime": track.created, "TrackId": track.track_id}


def describe(track: Track) -> dict:
    return {"Name": track.name, **scope(track), "Status": track.status, "Storage": storage(track),
            "CreateTime": track.created, "TrackForAllMembers": track.track_for_all_members,
            "Filters": filters(track)}


def read_write(track: Track) -> int:
    if track.filters:
        kinds = {f.get("ActionType") for f in track.filters.get("ResourceFields", [])}
        return _READ_WRITE[kinds.pop()] if len(kinds) == 1 else 3
    return _READ_WRITE.get(track.action_type, 3)


def cos_bucket(track: Track) -> str:
    """CosBucketName of the 2019 audit views: the bucket name without -AppId ("" for ckafka)."""
    return track.storage.get("StorageName", "") if track.storage_type == "cos" else ""


def audit_summary(track: Track) -> dict:
    return {"AuditStatus": track.status, "CosBucketName": cos_bucket(track), "AuditName": track.name,
            "LogFilePrefix": track.storage.get("StoragePrefix", "")}
