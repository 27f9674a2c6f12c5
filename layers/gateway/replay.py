"""v1 replay protection: a (SecretId, Nonce, Timestamp) is accepted once.

The record lives in the control table for the signature's validity window (DynamoDB TTL
removes it afterwards), so every process of every deployment sees it.
"""
import time

from layers import aws
from layers.config import settings


def first_use(secret_id: str, nonce: str, timestamp: str) -> bool:
    ddb = aws.client("dynamodb")
    expires = int(time.time()) + 2 * settings().max_clock_skew + 60
    try:
        ddb.put_item(TableName=settings().control_table,
                     Item={"pk": {"S": f"NONCE#{secret_id}#{nonce}#{timestamp}"}, "expires": {"N": str(expires)}},
                     ConditionExpression="attribute_not_exists(pk)")
        return True
    except ddb.exceptions.ConditionalCheckFailedException:
        return False
