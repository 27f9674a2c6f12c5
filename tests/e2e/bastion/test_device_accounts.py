"""Device accounts and hosted credentials: CreateDeviceAccount, DeleteDeviceAccounts,
DescribeDeviceAccounts, BindDeviceAccountPassword / PrivateKey, ResetDeviceAccountPassword / PrivateKey."""
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from layers.bastion import secrets, store


def private_key(passphrase: bytes = b"") -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    algorithm = (serialization.BestAvailableEncryption(passphrase) if passphrase
                 else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm).decode()


def test_accounts_of_a_device(bh):
    dev, other_dev = bh.devices("10.0.0.1", "10.0.0.2")
    root = bh.call("CreateDeviceAccount", DeviceId=dev, Account="root")["Id"]
    admin = bh.call("CreateDeviceAccount", DeviceId=dev, Account="admin")["Id"]
    bh.call("CreateDeviceAccount", DeviceId=other_dev, Account="root")            # same name, other device
    assert bh.error("CreateDeviceAccount", DeviceId=dev, Account="root") == "FailedOperation.DuplicateData"
    assert bh.error("CreateDeviceAccount", DeviceId=dev + 10, Account="x") == "ResourceNotFound"
    assert bh.error("CreateDeviceAccount", DeviceId=dev, Account="a b") == "InvalidParameterValue"
    found = bh.call("DescribeDeviceAccounts", DeviceId=dev)
    assert found["TotalCount"] == 2
    assert found["DeviceAccountSet"][0] == {"Id": root, "DeviceId": dev, "Account": "root",
                                            "BoundPassword": False, "BoundPrivateKey": False}
    assert [a["Id"] for a in bh.call("DescribeDeviceAccounts", DeviceId=dev, Account="ADM")["DeviceAccountSet"]] == [admin]
    assert [a["Id"] for a in bh.call("DescribeDeviceAccounts", IdSet=[admin], DeviceId=other_dev)["DeviceAccountSet"]] \
        == [admin]
    assert bh.error("DescribeDeviceAccounts", Account="root") == "MissingParameter"
    assert bh.call("DescribeDevices", IdSet=[dev])["DeviceSet"][0]["AccountCount"] == 2
    bh.call("DeleteDeviceAccounts", IdSet=[admin])
    assert bh.error("DeleteDeviceAccounts", IdSet=[admin]) == "ResourceNotFound"
    assert [a["Id"] for a in bh.call("DescribeDeviceAccounts", DeviceId=dev)["DeviceAccountSet"]] == [root]


def test_hosted_password_is_sealed_and_never_shown(bh):
    dev = bh.devices("10.0.0.3")[0]
    aid = bh.call("CreateDeviceAccount", DeviceId=dev, Account="root")["Id"]
    response = bh.call("BindDeviceAccountPassword", Id=aid, Password="Tr0ub4dor&3")
    listed = bh.call("DescribeDeviceAccounts", DeviceId=dev)
    assert listed["DeviceAccountSet"][0]["BoundPassword"] is True
    for text in (json.dumps(response), json.dumps(listed), json.dumps(bh.call("DescribeDevices"))):
        assert "Tr0ub4dor" not in text
    rec = store.get_many(bh.acct["OwnerUin"], "account", [aid])[aid]
    assert "Tr0ub4dor" not in json.dumps(rec)
    context = secrets.context(bh.acct["OwnerUin"], aid, "password")
    assert secrets.open(rec["Password"], context) == "Tr0ub4dor&3"
    bh.call("ResetDeviceAccountPassword", IdSet=[aid])
    assert bh.call("DescribeDeviceAccounts", DeviceId=dev)["DeviceAccountSet"][0]["BoundPassword"] is False


def test_sealed_secret_is_bound_to_its_record(bh):
    blob = secrets.seal("p@ss", secrets.context("1000", 1, "password"))
    for context in (secrets.context("1001", 1, "password"), secrets.context("1000", 2, "password"),
                    secrets.context("1000", 1, "private_key")):
        try:
            secrets.open(blob, context)
        except Exception:
            continue
        raise AssertionError(f"opened under {context}")


def test_hosted_private_key_with_passphrase(bh):
    dev = bh.devices("10.0.0.4")[0]
    aid = bh.call("CreateDeviceAccount", DeviceId=dev, Account="deploy")["Id"]
    pem = private_key(b"open sesame")
    response = bh.call("BindDeviceAccountPrivateKey", Id=aid, PrivateKey=pem, PrivateKeyPassword="open sesame")
    listed = bh.call("DescribeDeviceAccounts", IdSet=[aid])["DeviceAccountSet"][0]
    assert listed["BoundPrivateKey"] is True and listed["BoundPassword"] is False
    assert "open sesame" not in json.dumps(response)
    rec = store.get_many(bh.acct["OwnerUin"], "account", [aid])[aid]
    owner = bh.acct["OwnerUin"]
    assert secrets.open(rec["PrivateKey"], secrets.context(owner, aid, "private_key")) == pem
    assert secrets.open(rec["PrivateKeyPassword"], secrets.context(owner, aid, "private_key_password")) == "open sesame"
    bh.call("ResetDeviceAccountPrivateKey", IdSet=[aid])
    rec = store.get_many(owner, "account", [aid])[aid]
    assert "PrivateKey" not in rec and "PrivateKeyPassword" not in rec
    assert bh.call("DescribeDeviceAccounts", IdSet=[aid])["DeviceAccountSet"][0]["BoundPrivateKey"] is False


def test_private_key_rules(bh):
    dev = bh.devices("10.0.0.5")[0]
    aid = bh.call("CreateDeviceAccount", DeviceId=dev, Account="deploy")["Id"]
    openssh = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()).decode()
    bh.call("BindDeviceAccountPrivateKey", Id=aid, PrivateKey=openssh)
    assert bh.error("BindDeviceAccountPrivateKey", Id=aid, PrivateKey="x" * 200) == "InvalidParameterValue"
    assert bh.error("BindDeviceAccountPrivateKey", Id=aid, PrivateKey=openssh[:100]) == "InvalidParameterValue"
    assert bh.error("BindDeviceAccountPrivateKey", Id=aid, PrivateKey=openssh + "x" * 8192) == "InvalidParameterValue"
    assert bh.error("BindDeviceAccountPrivateKey", Id=aid, PrivateKey=openssh,
                    PrivateKeyPassword="p" * 257) == "InvalidParameterValue"
    assert bh.error("BindDeviceAccountPrivateKey", Id=aid + 9, PrivateKey=openssh) == "ResourceNotFound"
    assert bh.error("BindDeviceAccountPassword", Id=aid, Password="") == "InvalidParameterValue"
    assert bh.error("BindDeviceAccountPassword", Id=aid, Password="p" * 65) == "InvalidParameterValue"
    assert bh.error("BindDeviceAccountPassword", Id=aid + 9, Password="p") == "ResourceNotFound"
    assert bh.error("ResetDeviceAccountPassword", IdSet=[aid + 9]) == "ResourceNotFound"
    assert bh.error("ResetDeviceAccountPrivateKey", IdSet=[]) == "InvalidParameterValue"
