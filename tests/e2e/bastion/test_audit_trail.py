"""Audit events of bastion actions: the resource is named and secrets are redacted."""
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def test_audit_events(bh, audit):
    dev = bh.devices("10.0.0.3")[0]
    aid = bh.call("CreateDeviceAccount", DeviceId=dev, Account="root")["Id"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"open sesame")).decode()
    created = bh.call("CreateUser", UserName="audited", RealName="A", Phone="13800000000")
    password = bh.call("BindDeviceAccountPassword", Id=aid, Password="Tr0ub4dor&3")
    private = bh.call("BindDeviceAccountPrivateKey", Id=aid, PrivateKey=key, PrivateKeyPassword="open sesame")
    listed = bh.call("DescribeUsers")
    events = {e["RequestId"]: e for e in audit.collect(wait_for=4)}
    event = events[created["RequestId"]]
    assert event["EventName"] == "CreateUser" and event["ResourceName"] == "audited"
    assert event["ResourceType"] == "user" and event["ReadOnly"] is False
    assert events[listed["RequestId"]]["ReadOnly"] is True
    event = events[password["RequestId"]]
    assert event["RequestParameters"]["Password"] == "******" and event["ResourceName"] == f"{dev}/root"
    event = events[private["RequestId"]]
    assert event["RequestParameters"]["PrivateKey"] == event["RequestParameters"]["PrivateKeyPassword"] == "******"
    text = json.dumps(list(events.values()))
    assert "Tr0ub4dor" not in text and "open sesame" not in text and "ENCRYPTED PRIVATE KEY" not in text
