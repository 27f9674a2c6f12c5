"""The table of AWS calls per deployed function (infra/aws_calls.json) and the IAM policies made from it.

The calls come from the code (infra/aws_calls.py scans it); which resource each call reaches comes from
RESOURCES below: per module that makes calls, per service, the ARN patterns of what it touches. Names are
the deployed ones (infra/deploy.json): tables and queues `<prefix>-<name>`, buckets
`<prefix>-archive-<account>-<region>` and `<prefix>-recordings-<account>-<region>`, the OpenSearch
domain `<prefix>`, the KMS root key aliased `alias/<prefix>-root`. Chalice policy files cannot hold
CloudFormation references, so everything is scoped by name.

Run `python -m infra.aws_calls` after a change in the code's AWS calls: it rewrites the table and every
policy; tests/unit/test_aws_calls.py fails until they agree with the code.
"""
import json
from typing import Dict, List, Optional, Tuple

from infra import aws_calls
from infra.aws_calls import CHALICE, GATEWAY_POLICY, PREFIX, TABLE, UNITS, calls_of, modules_of

P = PREFIX
ANY = "*"


def table(name: str) -> str:
    return f"arn:aws:dynamodb:*:*:table/{P}-{name}"


def queue(name: str) -> str:
    return f"arn:aws:sqs:*:*:{P}-{name}"


def bucket(name: str) -> str:          # deployed: <prefix>-<name>-<account>-<region>
    return f"arn:aws:s3:::{P}-{name}-*"


def objects(name: str) -> str:
    return f"arn:aws:s3:::{P}-{name}-*/*"


CUSTOMER_BUCKETS = ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]    # a track's or an export's COS bucket
CUSTOMER_QUEUES = ["arn:aws:sqs:*:*:*"]                      # a track's CMQ queue <name>-<AppId>
ROOT_KEY = "arn:aws:kms:*:*:key/*"                           # with the alias condition below
SDN = ["arn:aws:ec2:*:*:vpc/*", "arn:aws:ec2:*:*:subnet/*", "arn:aws:ec2:*:*:security-group/*"]
ES_DOMAIN = f"arn:aws:es:*:*:domain/{P}/*"

# Why a resource is a wildcard (the reason travels into the table beside the row).
WHY = {
    "arn:aws:s3:::*": "the customer's own COS bucket, named in the track or export (any name)",
    "arn:aws:sqs:*:*:*": "the customer's own CMQ queue <name>-<AppId>, in the region the track names",
    "*": "the action has no resource-level permissions in IAM",
}

# module -> service -> resources. "@tables" = the DynamoDB tables the same function's other modules reach
# (layers/stores/dynamo.py only runs the transactions its callers build).
RESOURCES: Dict[str, Dict[str, List[str]]] = {
    "infra.ssh_gateway": {"dynamodb": [table("bastion")]},
    "layers.audit.archive": {"s3": [bucket("archive"), objects("archive")]},
    "layers.audit.exports": {"dynamodb": [table("audit-exports")], "sqs": [queue("audit-export")],
                             "s3": CUSTOMER_BUCKETS},
    "layers.audit.export_link": {"s3": CUSTOMER_BUCKETS},
    "layers.audit.indexer": {"sqs": [queue("audit"), queue("audit-dlq")]},
    "layers.audit.paging": {"dynamodb": [table("audit-exports")]},
    "layers.audit.track_delivery": {"dynamodb": [table("audit-track-delivery")],
                                    "sqs": [queue("audit-track-delivery")] + CUSTOMER_QUEUES,
                                    "s3": [bucket("archive"), objects("archive")] + CUSTOMER_BUCKETS},
    "layers.audit.track_digest": {"dynamodb": [table("audit-track-delivery")],
                                  "s3": CUSTOMER_BUCKETS},
    "layers.audit.track_params": {"sqs": CUSTOMER_QUEUES},
    "layers.audit.tracks": {"dynamodb": [table("audit-tracks")]},
    "layers.bastion.asset_sync": {"dynamodb": [table("bastion"), table("identity")],
                                  "sqs": [queue("bastion-asset-sync")]},
    "layers.bastion.file_capture": {"s3": [objects("recordings")]},
    "layers.bastion.inventory": {"ec2": [ANY], "rds": [ANY]},
    "layers.bastion.pwd_rotation": {"dynamodb": [table("bastion")]},
    "layers.bastion.pwd_tasks": {"dynamodb": [table("bastion")]},
    "layers.bastion.recording_link": {"s3": [objects("recordings")]},
    "layers.bastion.recording_store": {"s3": [objects("recordings")]},
    "layers.bastion.session_queue": {"sqs": [queue("bastion-session-log")]},
    "layers.bastion.sessions": {"dynamodb": [table("bastion")]},
    "layers.bastion.ssh.commands": {"sqs": [queue("bastion-session-log")]},
    "layers.bastion.ssh.directory": {"dynamodb": [table("bastion")]},
    "layers.bastion.ssh.hostkeys": {"dynamodb": [table("bastion")]},
    "layers.bastion.store": {"dynamodb": [table("bastion")]},
    "layers.bastion.web_tickets": {"dynamodb": [table("bastion")]},
    "layers.cloudhsm.monitor": {"cloudwatch": [ANY]},
    "layers.gateway.audit_dead_letter": {"s3": [bucket("archive"), objects("archive")], "cloudwatch": [ANY]},
    "layers.gateway.audit_emitter": {"sqs": [queue("audit")], "dynamodb": [table("audit-outbox")]},
    "layers.gateway.ratelimit": {"dynamodb": [table("control")]},
    "layers.gateway.replay": {"dynamodb": [table("control")]},
    "layers.identity": {"dynamodb": [table("identity")]},
    "layers.keystore.root": {"kms": [ROOT_KEY]},
    "layers.kms.owner": {"dynamodb": [table("identity")]},
    "layers.network": {"ec2": [ANY]},
    "layers.stores.dynamo": {"dynamodb": ["@tables"]},
    "layers.stores.keystore_table": {"dynamodb": [table("keystore")]},
    "layers.stores.vsm": {"dynamodb": [table("cloudhsm")]},
}
# Per (module, operation): where one operation of a module reaches other than its service's default.
OP_RESOURCES: Dict[Tuple[str, str, str], List[str]] = {
    ("layers.network", "ec2", "create_tags"): SDN,
    ("layers.audit.track_delivery", "s3", "delete_object"): [objects("archive")],   # staged files only
    ("layers.audit.track_delivery", "dynamodb", "batch_get_item"): [table("audit-track-delivery")],
}

# Calls the code holds but the deployed role does not grant, and why (the table keeps them, unallowed).
NOT_GRANTED = {
    ("kms", "describe_key"): "deployed, GZ_KMS_ROOT_KEY names the root key the template made: not looked up",
    ("kms", "create_key"): "the template creates the root key; a function never does (only a local stack)",
    ("kms", "create_alias"): "the template creates the root key's alias",
    ("kms", "schedule_key_deletion"): "only retires a root key a local stack created twice",
    ("sqs", "create_queue"): None,      # granted: UpdateAudit with IsCreateNewQueue=1 makes the queue
}
NOT_GRANTED = {k: v for k, v in NOT_GRANTED.items() if v}

# IAM action(s) of an operation, where they are not the operation's own name.
IAM_ACTIONS = {
    ("s3", "list_objects_v2"): ["s3:ListBucket"],
    ("s3", "head_bucket"): ["s3:ListBucket"],
    ("s3", "get_bucket_lifecycle_configuration"): ["s3:GetLifecycleConfiguration"],
    ("s3", "put_bucket_lifecycle_configuration"): ["s3:PutLifecycleConfiguration"],
    ("s3", "delete_bucket_lifecycle"): ["s3:PutLifecycleConfiguration"],
    ("s3", "create_multipart_upload"): ["s3:PutObject"],
    ("s3", "upload_part"): ["s3:PutObject"],
    ("s3", "complete_multipart_upload"): ["s3:PutObject"],
    ("sqs", "send_message_batch"): ["sqs:SendMessage"],
    ("sqs", "delete_message_batch"): ["sqs:DeleteMessage"],
    ("sqs", "change_message_visibility_batch"): ["sqs:ChangeMessageVisibility"],
    ("dynamodb", "transact_write_items"): ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                                           "dynamodb:ConditionCheckItem"],
}
_S3_BUCKET_ACTIONS = {"s3:ListBucket", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
                      "s3:CreateBucket"}

# The function's own trigger (Lambda's event source mapping polls with the function's role).
SQS_TRIGGERS = {"audit_indexer": "audit", "audit_export": "audit-export", "audit_track_delivery":
                "audit-track-delivery", "bastion_asset_sync_job": "bastion-asset-sync",
                "bastion_session_log": "bastion-session-log"}
SEARCH_MODULE = "layers.search.opensearch"
ES_ACTIONS = ["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]


def iam_actions(service: str, op: str) -> List[str]:
    if (service, op) in IAM_ACTIONS:
        return IAM_ACTIONS[(service, op)]
    prefix = {"cloudwatch": "cloudwatch", "dynamodb": "dynamodb", "ec2": "ec2", "kms": "kms", "rds": "rds",
              "s3": "s3", "sqs": "sqs"}[service]
    return [f"{prefix}:{aws_calls._api_name(service, op)}"]


def _resources(unit: str, service: str, op: str, module: str, own_tables: List[str]) -> List[str]:
    if (module, service, op) in OP_RESOURCES:
        found = OP_RESOURCES[(module, service, op)]
    else:
        try:
            found = RESOURCES[module][service]
        except KeyError:
            raise KeyError(f"{module} calls {service}.{op}: say which resources in infra/iam_policies.py "
                           f"RESOURCES") from None
    out: List[str] = []
    for r in found:
        out.extend(own_tables if r == "@tables" else [r])
    if service == "s3":     # bucket-level actions on bucket ARNs, object actions on object ARNs
        bucket_level = set(iam_actions(service, op)) <= _S3_BUCKET_ACTIONS
        out = [r for r in out if ("/" in r.split(":::", 1)[1]) != bucket_level]
    return out


def rows(unit: str) -> List[dict]:
    """The unit's table: one row per (service, operation), with the modules making it, its IAM
    actions, the resources it reaches, and whether the role grants it."""
    calls = calls_of(unit)
    own_tables = sorted({r for (svc, op), mods in calls.items() if svc == "dynamodb"
                         for m in mods if m in RESOURCES for r in RESOURCES[m].get("dynamodb", ())
                         if r != "@tables"})
    out = []
    for (svc, op), mods in sorted(calls.items()):
        resources = sorted({r for m in sorted(mods) for r in _resources(unit, svc, op, m, own_tables)})
        row = {"service": svc, "operation": op, "iam": iam_actions(svc, op), "resources": resources,
               "modules": sorted(mods)}
        if (svc, op) in NOT_GRANTED:
            row["granted"] = False
            row["why"] = NOT_GRANTED[(svc, op)]
        wild = sorted({WHY[r] for r in resources if r in WHY})
        if wild:
            row["wildcard"] = "; ".join(wild)
        out.append(row)
    if unit in SQS_TRIGGERS:
        out.append({"service": "sqs", "operation": "(event source)", "iam": [
            "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            "resources": [queue(SQS_TRIGGERS[unit])], "modules": ["Lambda event source mapping"]})
    if SEARCH_MODULE in modules_of(unit):
        out.append({"service": "es", "operation": "(search store over HTTPS, SigV4)", "iam": ES_ACTIONS,
                    "resources": [ES_DOMAIN], "modules": [SEARCH_MODULE]})
    if unit != "gateway_task":
        out.append({"service": "logs", "operation": "(Lambda's own log lines)", "iam": [
            "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "resources": [f"arn:aws:logs:*:*:log-group:/aws/lambda/{P}-*",
                          f"arn:aws:logs:*:*:log-group:/aws/lambda/{P}-*:log-stream:*"],
            "modules": ["Lambda runtime"]})
    return out


def table_all() -> Dict[str, List[dict]]:
    return {unit: rows(unit) for unit in UNITS}


def policy(unit_rows: List[dict]) -> dict:
    """Least privilege for the rows: one statement per set of resources (and condition)."""
    groups: Dict[Tuple[Tuple[str, ...], Optional[str]], set] = {}
    for row in unit_rows:
        if row.get("granted", True) is False:
            continue
        cond = "rootkey" if row["service"] == "kms" else ("sdn" if row["resources"] == SDN else None)
        groups.setdefault((tuple(row["resources"]), cond), set()).update(row["iam"])
    statements = []
    for (resources, cond), actions in sorted(groups.items(), key=lambda kv: (sorted(kv[1]), kv[0])):
        st = {"Effect": "Allow", "Action": sorted(actions),
              "Resource": list(resources) if len(resources) > 1 else resources[0]}
        if cond == "rootkey":
            st["Condition"] = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{P}-root"}}
        elif cond == "sdn":
            st["Condition"] = {"ForAllValues:StringEquals": {"aws:TagKeys": [
                "guardzone:CreatedTime", "guardzone:RulesDigest", "guardzone:RulesVersion"]}}
        statements.append(st)
    return {"Version": "2012-10-17", "Statement": statements}


def policy_path(unit: str):
    return GATEWAY_POLICY if unit == "gateway_task" else CHALICE / f"policy-{unit}.json"


def _dump(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=False) + "\n"


def write_all() -> None:
    every = table_all()
    TABLE.write_text(_dump(every), "utf-8")
    for unit, unit_rows in every.items():
        policy_path(unit).write_text(_dump(policy(unit_rows)), "utf-8")
