"""infra/resources.json is the one definition of the tables, queues and buckets.

`chalice package --merge-template infra/resources.json` puts it into the deploy template;
`create_all()` makes the same resources on the local stack (moto) with boto3; run again on what a
restarted stack kept, it leaves them as they are (a queue takes the template's attributes).
"""
import json
import re
from pathlib import Path
from typing import Any, Dict

from layers import aws
from layers.config import settings

ROOT = Path(__file__).resolve().parent
TEMPLATE = ROOT / "resources.json"


def template() -> dict:
    return json.loads(TEMPLATE.read_text("utf-8"))


def _resolve(value: Any, names: Dict[str, str], attrs: Dict[str, Dict[str, str]]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
        if set(value) == {"Fn::GetAtt"}:
            logical, attr = value["Fn::GetAtt"]
            return attrs[logical][attr]
        return {k: _resolve(v, names, attrs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, names, attrs) for v in value]
    return value


def create_all(prefix: str = "") -> Dict[str, Dict[str, str]]:
    """Create every resource of the template that does not exist yet; returns their attributes."""
    prefix = prefix or settings().prefix
    names = {"ResourcePrefix": prefix}
    attrs: Dict[str, Dict[str, str]] = {}
    resources = template()["Resources"]
    # Queues referenced by others (dead-letter queues) first.
    order = sorted(resources, key=lambda k: "RedrivePolicy" in json.dumps(resources[k]))
    for logical in order:
        spec = resources[logical]
        props = _resolve(spec["Properties"], names, attrs)
        attrs[logical] = _CREATORS[spec["Type"]](props)
    return attrs


def _table(props: dict) -> dict:
    ddb = aws.client("dynamodb")
    name = props["TableName"]
    try:
        ddb.create_table(TableName=name, BillingMode=props["BillingMode"],
                         AttributeDefinitions=props["AttributeDefinitions"], KeySchema=props["KeySchema"])
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    except ddb.exceptions.ResourceInUseException:
        pass
    return {"Name": name}


def _queue(props: dict) -> dict:
    sqs = aws.client("sqs")
    name = props.pop("QueueName")
    attributes = {k: (json.dumps(v) if isinstance(v, dict) else str(v).lower() if isinstance(v, bool) else str(v))
                  for k, v in props.items()}
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except sqs.exceptions.QueueNameExists:
        # Kept from an earlier run (the local stack's data folder) with other attributes: the
        # template's win, as a deploy would apply them.
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"QueueName": name, "QueueUrl": url, "Arn": arn}


def _bucket(props: dict) -> dict:
    s3 = aws.client("s3")
    name = props["BucketName"]
    try:
        region = s3.meta.region_name
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "BucketEncryption" in props:
        # The template's shape (CloudFormation) -> the API's.
        rules = [{"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                 for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "CorsConfiguration" in props:
        # CloudFormation's names -> the API's (the console's player reads presigned recording links).
        rules = [{"AllowedMethods": r["AllowedMethods"], "AllowedOrigins": r["AllowedOrigins"],
                  **({"MaxAgeSeconds": r["MaxAge"]} if "MaxAge" in r else {})}
                 for r in props["CorsConfiguration"]["CorsRules"]]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    return {"BucketName": name}


def _alarm(props: dict) -> dict:
    aws.client("cloudwatch").put_metric_alarm(**props)
    return {"AlarmName": props["AlarmName"]}


def _deployed_only(props: dict) -> dict:
    return {}     # the local server answers unknown paths itself (infra/devserver.py)


_CREATORS = {"AWS::DynamoDB::Table": _table, "AWS::SQS::Queue": _queue, "AWS::S3::Bucket": _bucket,
             "AWS::CloudWatch::Alarm": _alarm, "AWS::ApiGateway::GatewayResponse": _deployed_only}
