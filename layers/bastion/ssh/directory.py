"""Bastion user names across accounts, and the login name an operator types.

A bastion user name is unique within its Tencent account only, yet an operator logs in with just
`bastionuser/account/host` (the seed's SSH 直连). CreateUser records each name here and DeleteUsers
removes it:

    table {prefix}-bastion   pk "login-user#<UserName>"   sk "<OwnerUin>"

A name held by one account logs in as it is; a name several accounts hold must be qualified as
`bastionuser@<OwnerUin>/account/host`. The entry only says where to look: the login still reads
the user from the account's records, so an entry left behind by a failed write admits no one.
"""
import re
from dataclasses import dataclass
from typing import List, Optional

from layers import aws
from layers.bastion import config

_OWNER = re.compile(r"^[0-9]{1,20}$")
MAX_LOGIN_NAME = 512


class BadLoginName(ValueError):
    """The login name is not `bastionuser/account/host`."""


@dataclass(frozen=True)
class LoginName:
    user: str                 # the bastion user
    owner: Optional[str]      # the Tencent account (OwnerUin) when qualified as user@uin
    account: str              # the device account (e.g. root)
    host: str                 # IP, instance id or device name


def parse(name: str) -> LoginName:
    if not name or len(name) > MAX_LOGIN_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadLoginName("log in as bastionuser/account/host, e.g. test/root/192.168.10.20")
    parts = name.split("/", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise BadLoginName("log in as bastionuser/account/host, e.g. test/root/192.168.10.20")
    user, account, host = (p.strip() for p in parts)
    owner = None
    if "@" in user:
        user, owner = user.rsplit("@", 1)
        if not user or not _OWNER.fullmatch(owner):
            raise BadLoginName("qualify the bastion user as name@<account uin>, e.g. test@100000000001/root/host")
    return LoginName(user, owner, account, host)


def _key(user_name: str, owner: str) -> dict:
    return {"pk": {"S": f"login-user#{user_name}"}, "sk": {"S": owner}}


def register(owner: str, user_name: str) -> None:
    aws.client("dynamodb").put_item(TableName=config.table(), Item=_key(user_name, owner))


def unregister(owner: str, user_names: List[str]) -> None:
    for name in user_names:
        aws.client("dynamodb").delete_item(TableName=config.table(), Key=_key(name, owner))


def owners_of(user_name: str) -> List[str]:
    """The accounts that have (or had) a bastion user of this name."""
    found, kwargs = [], {}
    while True:
        page = aws.client("dynamodb").query(
            TableName=config.table(), KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"login-user#{user_name}"}}, ConsistentRead=True, **kwargs)
        found += [item["sk"]["S"] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
