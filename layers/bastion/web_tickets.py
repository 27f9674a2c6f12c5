"""Tickets of the H5 terminal (H5 运维): what a browser presents to the gateway's WebSocket in
place of an SSH login.

The console, signed in as a bastion user, asks for one (issue()); the ticket names the user, the
device account and the terminal's size, lives TICKET_SECONDS and opens one session: the
WebSocket uses it up (consume()) before anything else. The ticket itself is 32 random letters and
digits; only its SHA-256 is kept, in the bastion table:

    pk "webterminal#ticket"  sk <sha256 of the ticket, base64>
    owner (S)  user (S: UserName)  daid (N: device account Id)  cols, rows (N)  exp (N: epoch s)

A ticket is deleted when it is used (a conditional delete: two WebSockets presenting it cannot
both win) and refused once expired; expired ones left unused are swept when new ones are issued.
The gateway checks everything again when the ticket is used (the user's state, the source
address, the ACLs): the ticket proves who signed in, not what they may reach."""
import time
from dataclasses import dataclass
from typing import Optional, Tuple

from layers import aws
from layers.bastion import config, credentials

TICKET_SECONDS = 60
TICKET_LENGTH = 32
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_PK = "webterminal#ticket"
MIN_SIZE, MAX_COLS, MAX_ROWS = 2, 1000, 500
SWEEP_AT_MOST = 25


class TicketRefused(Exception):
    """Unknown, used already or expired: one reason for all three."""


@dataclass(frozen=True)
class Ticket:
    owner: str
    user_name: str
    device_account_id: int
    cols: int
    rows: int
    expires: int


def _ddb():
    return aws.client("dynamodb")


def _key(ticket: str) -> dict:
    return {"pk": {"S": _PK}, "sk": {"S": credentials.hash_token(ticket)}}


def clamp_size(cols, rows):
    """A terminal size as the gateway takes it (80x24 for what is not a number)."""
    def num(v, default, top):
        return max(MIN_SIZE, min(top, v)) if isinstance(v, int) and not isinstance(v, bool) else default
    return num(cols, 80, MAX_COLS), num(rows, 24, MAX_ROWS)


def issue(owner: str, user_name: str, device_account_id: int, cols: int = 80, rows: int = 24,
          now: Optional[float] = None) -> Tuple[str, Ticket]:
    """A new ticket; returns (ticket text, Ticket)."""
    now = time.time() if now is None else now
    cols, rows = clamp_size(cols, rows)
    text = credentials.new_token(TICKET_LENGTH, _ALPHABET)
    info = Ticket(owner, user_name, int(device_account_id), cols, rows, int(now) + TICKET_SECONDS)
    _ddb().put_item(TableName=config.table(), Item={
        **_key(text), "owner": {"S": owner}, "user": {"S": user_name}, "daid": {"N": str(info.device_account_id)},
        "cols": {"N": str(cols)}, "rows": {"N": str(rows)}, "exp": {"N": str(info.expires)}},
        ConditionExpression="attribute_not_exists(pk)")
    _sweep(now)
    return text, info


def consume(text: str, now: Optional[float] = None) -> Ticket:
    """The ticket's content, and it is gone; TicketRefused when it is unknown, used or expired."""
    if not isinstance(text, str) or len(text) != TICKET_LENGTH or any(c not in _ALPHABET for c in text):
        raise TicketRefused("not a ticket")
    ddb = _ddb()
    try:
        old = ddb.delete_item(TableName=config.table(), Key=_key(text), ConditionExpression="attribute_exists(pk)",
                              ReturnValues="ALL_OLD").get("Attributes")
    except ddb.exceptions.ConditionalCheckFailedException:
        raise TicketRefused("unknown or used") from None
    if not old:
        raise TicketRefused("unknown or used")
    info = Ticket(old["owner"]["S"], old["user"]["S"], int(old["daid"]["N"]), int(old["cols"]["N"]),
                  int(old["rows"]["N"]), int(old["exp"]["N"]))
    if info.expires <= (time.time() if now is None else now):
        raise TicketRefused("expired")
    return info


def _sweep(now: float) -> None:
    """Delete a few tickets that expired unused."""
    ddb = _ddb()
    items = ddb.query(TableName=config.table(), KeyConditionExpression="pk = :pk",
                      FilterExpression="#e < :now", ExpressionAttributeNames={"#e": "exp"},
                      ExpressionAttributeValues={":pk": {"S": _PK}, ":now": {"N": str(int(now))}},
                      Limit=100).get("Items", [])
    for item in items[:SWEEP_AT_MOST]:
        try:
            ddb.delete_item(TableName=config.table(), Key={"pk": item["pk"], "sk": item["sk"]},
                            ConditionExpression="#e < :now", ExpressionAttributeNames={"#e": "exp"},
                            ExpressionAttributeValues={":now": {"N": str(int(now))}})
        except ddb.exceptions.ConditionalCheckFailedException:
            pass
