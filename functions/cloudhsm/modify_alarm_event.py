"""ModifyAlarmEvent: set the caller's alarm policy for one event (CPU, MEM or TCP).

Limit is the threshold a sample must pass (CPU and MEM percent, 0-100; TCP connections, >= 0);
Status 1 enables the policy, 0 disables it; BeginTime and EndTime (HH:MM:SS, Beijing time) bound
the time of day alarms are raised in, both empty meaning all day (EndTime before BeginTime spans
midnight). A policy set before keeps the fields a call leaves out; a new one needs Limit, and its
Status defaults to 1. The policies watch the VSMs whose AlarmStatus is 1 (ModifyVsmAttributes)."""
import re
from typing import Literal, Optional

from layers.cloudhsm import monitor
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import invalid, missing
from layers.gateway.schema import Int64, String

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")


class Input(HsmParams):
    Event: String
    Limit: Optional[Int64] = None
    Status: Optional[Literal[0, 1]] = None
    BeginTime: Optional[String] = None
    EndTime: Optional[String] = None


@hsm_action("ModifyAlarmEvent", Input, read_only=False)
def handle(p: Input, ctx: RequestContext) -> dict:
    event = p.Event.strip().upper()
    if event not in monitor.EVENTS:
        raise invalid("Event", "must be one of CPU, MEM, TCP")
    before = monitor.policy(ctx.account, event) or {}
    limit = p.Limit if p.Limit is not None else before.get("Limit")
    if limit is None:
        raise missing("Limit")
    high = 100 if event in ("CPU", "MEM") else 2 ** 31 - 1
    if not 0 <= limit <= high:
        raise invalid("Limit", f"must be between 0 and {high} for {event}")
    status = p.Status if p.Status is not None else before.get("Status", 1)
    begin = _clock("BeginTime", p.BeginTime, before)
    end = _clock("EndTime", p.EndTime, before)
    if bool(begin) != bool(end):
        raise invalid("BeginTime" if not begin else "EndTime", "BeginTime and EndTime go together (both empty: all day)")
    monitor.put_policy(ctx.account, event, limit, status, begin, end)
    ctx.touched(monitor.alarm_name(ctx.account, event), resource_type="alarm")
    return {}


def _clock(name: str, value: Optional[str], before: dict) -> str:
    if value is None:
        return before.get(name, "")
    value = value.strip()
    if value and not _CLOCK.match(value):
        raise invalid(name, "must be a time of day HH:MM:SS, or empty")
    return value
