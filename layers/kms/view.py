"""KeyMetadata, as DescribeKey(s) and ListKeyDetail show a key."""
from layers.kms.owner import Owner
from layers.kms.usages import USAGES

ORIGIN_KMS, ORIGIN_EXTERNAL = "TENCENT_KMS", "EXTERNAL"


def _uin(value: str):
    return int(value) if str(value).isdigit() else None


def metadata(doc: dict, owner: Owner) -> dict:
    """A key's KeyMetadata; Account* name the account that holds it (the caller's own)."""
    creator = str(doc.get("CreatorUin", ""))
    rotating = bool(doc.get("RotationEnabled"))
    return {
        "KeyId": doc["KeyId"],
        "Alias": doc["Alias"],
        "CreateTime": int(doc["CreateTime"]),
        "Description": doc.get("Description", ""),
        "KeyState": doc["KeyState"],
        "KeyUsage": doc["KeyUsage"],
        "Type": USAGES[doc["KeyUsage"]].type_code,
        "CreatorUin": _uin(creator),
        "CreatorUinString": creator,
        "KeyRotationEnabled": rotating,
        "Owner": "user",
        "NextRotateTime": int(doc.get("NextRotateTime", 0)) if rotating else 0,
        "DeletionDate": int(doc.get("DeletionDate", 0)),
        "Origin": doc.get("Origin") or ORIGIN_KMS,
        "ValidTo": int(doc.get("ValidTo") or 0),
        "ResourceId": f"creatorUin/{creator}/{doc['KeyId']}",
        "HsmClusterId": doc.get("HsmClusterId", ""),
        "RotateDays": int(doc.get("RotateDays", 0)),
        "LastRotateTime": int(doc.get("LastRotateTime", 0)),
        "IsSyncReplica": 0,
        "SourceRegion": "",
        "SyncStatus": 0,
        "SyncMessages": "",
        "SyncStartTime": 0,
        "SyncEndTime": 0,
        "SourceHsmClusterId": "",
        "AccountAppId": owner.app_id_number,
        "AccountUin": owner.uin_number,
        "AccountName": owner.name,
    }
