"""VSM monitoring and alarm policies, kept in CloudWatch.

Metrics (namespace Guardzone/CloudHSM, one datapoint a minute at most per VSM):
  CPU   Percent  the VSM's processor load
  MEM   Percent  the VSM's memory in use
  TCP   Count    open TCP connections to the VSM's service port
Each sample goes up twice: under (OwnerUin, ResourceId), which GetVsmMonitorInfo reads, and, while
the VSM's AlarmStatus is 1, under (OwnerUin) alone, the series the account's alarm policies watch.

When samples are written: `record()` is the ingress for whatever measures a VSM (a device agent);
the VSMs Guardzone runs itself have no separate device, so `sample_if_due()` writes their sample
when the VSM is looked at (GetVsmMonitorInfo) and the last one is a minute old or more: the
stand-in's figures are idle ones (CPU 0, MEM 0, TCP 0).

Alarm policies (ModifyAlarmEvent / GetAlarmEvent) are per account, one per event (CPU, MEM, TCP),
each a CloudWatch alarm `guardzone-cloudhsm-<OwnerUin>-<Event>` on the account series (Maximum
over 60 s, GreaterThanThreshold Limit); Status is the alarm's ActionsEnabled; BeginTime/EndTime
(HH:MM:SS, Beijing time; both empty = all day) ride in its description. A sample is evaluated as it
is written: an enabled policy whose window holds the sample's time goes to ALARM when the value
passes Limit and back to OK otherwise (CloudWatch does the same deployed; moto does not evaluate).
"""
import hashlib
import json
import time
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional

from layers import aws
from layers.cloudhsm import vsms

NAMESPACE = "Guardzone/CloudHSM"
UNITS = {"CPU": "Percent", "MEM": "Percent", "TCP": "Count"}
EVENTS = tuple(UNITS)
PERIOD = 60
WINDOW = 3600                    # GetVsmMonitorInfo returns the last hour
BEIJING = timezone(timedelta(hours=8))


def _cw():
    return aws.client("cloudwatch")          # one home region: policies are account-wide


def alarm_name(owner: str, event: str) -> str:
    return f"guardzone-cloudhsm-{owner}-{event}"


# ---- samples ----

def record(owner: str, vsm: dict, values: Dict[str, float], at: Optional[float] = None) -> None:
    """Write one sample of a VSM's metrics and evaluate the account's alarm policies on it."""
    when = datetime.fromtimestamp(time.time() if at is None else at, tz=timezone.utc)
    data = []
    for event, value in values.items():
        base = {"MetricName": event, "Timestamp": when, "Value": float(value), "Unit": UNITS[event]}
        data.append({**base, "Dimensions": [{"Name": "OwnerUin", "Value": owner},
                                            {"Name": "ResourceId", "Value": vsm["ResourceId"]}]})
        if vsms.alarm_status(vsm) == vsms.ALARM_ON:
            data.append({**base, "Dimensions": [{"Name": "OwnerUin", "Value": owner}]})
    _cw().put_metric_data(Namespace=NAMESPACE, MetricData=data)
    if vsms.alarm_status(vsm) == vsms.ALARM_ON:
        _evaluate(owner, vsm["ResourceId"], values, when)


def sample_if_due(owner: str, vsm: dict, now: Optional[float] = None) -> None:
    now = time.time() if now is None else now
    recent = _cw().get_metric_statistics(
        Namespace=NAMESPACE, MetricName="CPU", Statistics=["SampleCount"], Period=PERIOD,
        Dimensions=[{"Name": "OwnerUin", "Value": owner}, {"Name": "ResourceId", "Value": vsm["ResourceId"]}],
        StartTime=datetime.fromtimestamp(now - PERIOD, tz=timezone.utc),
        EndTime=datetime.fromtimestamp(now + 1, tz=timezone.utc))["Datapoints"]
    if not recent:
        record(owner, vsm, {"CPU": 0, "MEM": 0, "TCP": 0}, now)


def series(owner: str, resource_id: str, now: Optional[float] = None) -> List[dict]:
    """Per metric, the last hour's per-minute maxima, oldest first."""
    now = time.time() if now is None else now
    queries = [{"Id": event.lower(), "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": NAMESPACE, "MetricName": event,
                   "Dimensions": [{"Name": "OwnerUin", "Value": owner}, {"Name": "ResourceId", "Value": resource_id}]},
        "Period": PERIOD, "Stat": "Maximum"}} for event in EVENTS]
    # Whole minutes: a point's time is then its minute's start, the same from one call to the next
    # (CloudWatch aligns buckets itself; moto starts them at StartTime).
    minute = int(now) // PERIOD * PERIOD
    found = _cw().get_metric_data(MetricDataQueries=queries,
                                  StartTime=datetime.fromtimestamp(minute + PERIOD - WINDOW, tz=timezone.utc),
                                  EndTime=datetime.fromtimestamp(minute + PERIOD, tz=timezone.utc))["MetricDataResults"]
    by_id = {r["Id"]: r for r in found}
    out = []
    for event in EVENTS:
        r = by_id.get(event.lower(), {})
        points = sorted(zip(r.get("Timestamps", []), r.get("Values", [])))
        out.append({"Metric": event, "Unit": UNITS[event], "Period": PERIOD,
                    "Points": [{"Time": int(t.timestamp()), "Value": v} for t, v in points]})
    return out


def monitor_info(owner: str, vsm: dict) -> dict:
    """GetVsmMonitorInfo's output: one JSON string per metric; a digest of them; the init status."""
    texts = [json.dumps(s, separators=(",", ":"), sort_keys=True) for s in series(owner, vsm["ResourceId"])]
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    count = sum(len(json.loads(t)["Points"]) for t in texts)
    return {"MonitorInfo": texts, "DigestList": [{"DigestVer": count, "Value": digest}], "InitStatus": INITIALIZED}


INITIALIZED = 1      # Guardzone's VSMs are ready for use (keys, KMS) once created


# ---- alarm policies ----

def policies(owner: str) -> List[dict]:
    alarms = _cw().describe_alarms(AlarmNamePrefix=alarm_name(owner, ""), AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    out = []
    for a in sorted(alarms, key=lambda a: EVENTS.index(a["MetricName"]) if a["MetricName"] in EVENTS else 99):
        if a["AlarmName"] != alarm_name(owner, a["MetricName"]):
            continue
        extra = _description(a)
        out.append({"Uin": owner, "Event": a["MetricName"], "Limit": int(a["Threshold"]),
                    "Status": 1 if a["ActionsEnabled"] else 0,
                    "BeginTime": extra.get("BeginTime", ""), "EndTime": extra.get("EndTime", "")})
    return out


def policy(owner: str, event: str) -> Optional[dict]:
    return next((p for p in policies(owner) if p["Event"] == event), None)


def put_policy(owner: str, event: str, limit: int, status: int, begin: str, end: str) -> None:
    _cw().put_metric_alarm(
        AlarmName=alarm_name(owner, event), Namespace=NAMESPACE, MetricName=event,
        Dimensions=[{"Name": "OwnerUin", "Value": owner}], Statistic="Maximum", Period=PERIOD,
        EvaluationPeriods=1, Threshold=float(limit), ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching", ActionsEnabled=bool(status), Unit=UNITS[event],
        AlarmDescription=json.dumps({"BeginTime": begin, "EndTime": end}))


def alarm_states(owner: str) -> Dict[str, str]:
    alarms = _cw().describe_alarms(AlarmNamePrefix=alarm_name(owner, ""))["MetricAlarms"]
    return {a["MetricName"]: a["StateValue"] for a in alarms}


def _description(alarm: dict) -> dict:
    try:
        found = json.loads(alarm.get("AlarmDescription") or "{}")
        return found if isinstance(found, dict) else {}
    except ValueError:
        return {}


def in_window(begin: str, end: str, when: datetime) -> bool:
    if not begin and not end:
        return True
    clock = when.astimezone(BEIJING).strftime("%H:%M:%S")
    begin, end = begin or "00:00:00", end or "23:59:59"
    return begin <= clock <= end if begin <= end else (clock >= begin or clock <= end)


def _evaluate(owner: str, resource_id: str, values: Dict[str, float], when: datetime) -> None:
    for p in policies(owner):
        if p["Status"] != 1 or p["Event"] not in values or not in_window(p["BeginTime"], p["EndTime"], when):
            continue
        breached = values[p["Event"]] > p["Limit"]
        _cw().set_alarm_state(
            AlarmName=alarm_name(owner, p["Event"]), StateValue="ALARM" if breached else "OK",
            StateReason=f"{resource_id} {p['Event']} {values[p['Event']]:g} "
                        f"{'>' if breached else '<='} {p['Limit']}")
