"""Target host keys, pinned on first use per account and endpoint:

    table {prefix}-bastion   pk "<OwnerUin>#hostkey"   sk "<ip>:<port>"   key (OpenSSH public key)

The first session to a host fetches its key before any credential is sent and pins it; every
later session trusts only that key, so a changed key refuses the session (forget() clears it
once an administrator has checked the host)."""
from typing import Optional

from botocore.exceptions import ClientError

from layers import aws
from layers.bastion import config


def _key(owner: str, host: str, port: int) -> dict:
    return {"pk": {"S": f"{owner}#hostkey"}, "sk": {"S": f"{host}:{port}"}}


def pinned(owner: str, host: str, port: int) -> Optional[str]:
    item = aws.client("dynamodb").get_item(TableName=config.table(), Key=_key(owner, host, port),
                                           ConsistentRead=True).get("Item")
    return item["key"]["S"] if item else None


def pin(owner: str, host: str, port: int, public_key: str) -> str:
    """Pin the key unless one is pinned already; returns the key pinned now."""
    try:
        aws.client("dynamodb").put_item(TableName=config.table(),
                                        Item={**_key(owner, host, port), "key": {"S": public_key}},
                                        ConditionExpression="attribute_not_exists(pk)")
        return public_key
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return pinned(owner, host, port) or public_key


def forget(owner: str, host: str, port: int) -> None:
    aws.client("dynamodb").delete_item(TableName=config.table(), Key=_key(owner, host, port))
