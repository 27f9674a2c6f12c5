"""The calls test_sdk_conformance.py makes besides its reads: each service's write actions (and the
reads that need material the seed does not leave, such as a ciphertext), run in an order that lets
each one succeed, so every answer can be held to the SDK's Response model.

`call(action, **params)` returns the Response object and fails the test on an error. Actions the SDK
offers that answer an error by design are named in REFUSED with why; the conformance test checks that
every action in scope is either called or listed there.
"""
import base64
import os
import time
import uuid
from pathlib import Path
from typing import Callable, Dict

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from layers.crypto import sm2

Call = Callable[..., dict]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _public(call: Call, key_id: str):
    return serialization.load_der_public_key(base64.b64decode(call("GetPublicKey", KeyId=key_id)["PublicKey"]))


def _alias() -> str:
    return f"w-{uuid.uuid4().hex[:12]}"


def kms_writes(call: Call, acct: dict) -> None:
    call("GetRegions")
    call("GenerateRandom", NumberOfBytes=32)
    key = call("CreateKey", Alias=_alias())["KeyId"]
    other = call("CreateKey", Alias=_alias())["KeyId"]
    blob = call("Encrypt", KeyId=key, Plaintext=_b64(b"conformance"))["CiphertextBlob"]
    call("Decrypt", CiphertextBlob=blob)
    call("ReEncrypt", CiphertextBlob=blob, DestinationKeyId=other)
    call("UpdateAlias", KeyId=key, Alias=_alias())
    call("UpdateKeyDescription", KeyId=key, Description="written")
    call("EnableKeyRotation", KeyId=key)
    call("RotateKey", KeyId=key)
    call("DisableKeyRotation", KeyId=key)
    call("DisableKey", KeyId=key)
    call("EnableKey", KeyId=key)
    call("DisableKeys", KeyIds=[key, other])
    call("EnableKeys", KeyIds=[key, other])
    call("ArchiveKey", KeyId=key)
    call("CancelKeyArchive", KeyId=key)
    call("BindCloudResource", KeyId=key, ProductId="cvm", ResourceId="ins-conformance")
    call("UnbindCloudResource", KeyId=key, ProductId="cvm", ResourceId="ins-conformance")

    hosted = call("GenerateDataKey", KeyId=key, KeySpec="AES_256", IsHostedByKms=1,
                  DataKeyName=f"dk-{uuid.uuid4().hex[:8]}")["DataKeyId"]
    imported = call("ImportDataKey", DataKeyName=f"dk-{uuid.uuid4().hex[:8]}", ImportKeyMaterial=_b64(os.urandom(32)),
                    ImportType=2, KeyId=key)["DataKeyId"]
    call("DisableDataKey", DataKeyId=hosted)
    call("EnableDataKey", DataKeyId=hosted)
    call("DisableDataKeys", DataKeyIds=[hosted, imported])
    call("EnableDataKeys", DataKeyIds=[hosted, imported])
    call("UpdateDataKeyName", DataKeyId=hosted, DataKeyName=f"dk-{uuid.uuid4().hex[:8]}")
    call("UpdateDataKeyDescription", DataKeyId=hosted, Description="written")
    call("ScheduleDataKeyDeletion", DataKeyId=imported, PendingWindowInDays=7)
    call("CancelDataKeyDeletion", DataKeyId=imported)

    call("DisableKey", KeyId=other)
    call("ScheduleKeyDeletion", KeyId=other, PendingWindowInDays=7)
    call("CancelKeyDeletion", KeyId=other)

    rsa = call("CreateKey", Alias=_alias(), KeyUsage="ASYMMETRIC_DECRYPT_RSA_2048")["KeyId"]
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    call("AsymmetricRsaDecrypt", KeyId=rsa, Algorithm="RSAES_OAEP_SHA_256",
         Ciphertext=_b64(_public(call, rsa).encrypt(b"rsa", oaep)))
    sm2_key = call("CreateKey", Alias=_alias(), KeyUsage="ASYMMETRIC_DECRYPT_SM2")["KeyId"]
    der = base64.b64decode(call("GetPublicKey", KeyId=sm2_key)["PublicKey"])
    call("AsymmetricSm2Decrypt", KeyId=sm2_key,
         Ciphertext=_b64(sm2.ciphertext_to_der(sm2.SM2PublicKey.from_der(der).encrypt(b"sm2"))))
    signer = call("CreateKey", Alias=_alias(), KeyUsage="ASYMMETRIC_SIGN_VERIFY_SM2")["KeyId"]
    signature = call("SignByAsymmetricKey", KeyId=signer, Algorithm="SM2DSA", Message=_b64(b"m"))["Signature"]
    call("VerifyByAsymmetricKey", KeyId=signer, Algorithm="SM2DSA", Message=_b64(b"m"), SignatureValue=signature)

    kem = call("CreateKey", Alias=_alias(), KeyUsage="ASYMMETRIC_DECRYPT_ML_KEM_768")["KeyId"]
    sealed = call("PostQuantumCryptoEncrypt", KeyId=kem, PlainText=_b64(b"pq"))["CiphertextBlob"]
    call("PostQuantumCryptoDecrypt", CiphertextBlob=sealed)
    dsa = call("CreateKey", Alias=_alias(), KeyUsage="ASYMMETRIC_SIGN_VERIFY_ML_DSA_65")["KeyId"]
    pq_signature = call("PostQuantumCryptoSign", KeyId=dsa, Message=_b64(b"m"))["Signature"]
    call("PostQuantumCryptoVerify", KeyId=dsa, Message=_b64(b"m"), SignatureValue=pq_signature)

    external = call("CreateKey", Alias=_alias(), Type=2)["KeyId"]
    p = call("GetParametersForImport", KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256",
             WrappingKeySpec="RSA_2048")
    wrapping = serialization.load_der_public_key(base64.b64decode(p["PublicKey"]))
    call("ImportKeyMaterial", KeyId=external, ImportToken=p["ImportToken"], ValidTo=int(time.time()) + 3600,
         EncryptedKeyMaterial=_b64(wrapping.encrypt(os.urandom(16), oaep)))
    call("DeleteImportedKeyMaterial", KeyId=external)


def dasb_writes(call: Call, acct: dict) -> None:
    import sys
    sys.path.insert(0, str(Path(__file__).parent / "bastion"))
    from network_helpers import own_network
    net = own_network(acct["OwnerUin"], "10.77")
    rid = call("CreateResource", ResourceEdition="standard", ResourceNode=10, TimeUnit="m", TimeSpan=1,
               DeployRegion="ap-guangzhou", DeployZone="ap-guangzhou-3", PayMode=1, AutoRenewFlag=0,
               VpcId="", SubnetId="")["ResourceId"]     # tccli asks for every field its model requires
    call("DeployResource", ResourceId=rid, ApCode="ap-guangzhou", Zone="ap-guangzhou-3", VpcId=net.vpc_id,
         SubnetId=net.subnet_id, CidrBlock=net.subnet_cidr, VpcCidrBlock=net.vpc_cidr)
    call("ModifyResource", ResourceId=rid, ResourceEdition="pro", AutoRenewFlag=1)
    uid = call("CreateUser", UserName=f"w{uuid.uuid4().hex[:8]}", RealName="Writer", Phone="13800000001",
                Email="w@example.com")["Id"]
    call("ModifyUser", Id=uid, RealName="WriterTwo", Phone="13800000002", Email="w2@example.com")
    call("ResetUser", IdSet=[uid])
    ugid = call("CreateUserGroup", Name=f"ug-{uuid.uuid4().hex[:6]}")["Id"]
    call("ModifyUserGroup", Id=ugid, Name=f"ug-{uuid.uuid4().hex[:6]}")
    call("AddUserGroupMembers", Id=ugid, MemberIdSet=[uid])
    call("DeleteUserGroupMembers", Id=ugid, MemberIdSet=[uid])
    dev = call("ImportExternalDevice", DeviceSet=[{"OsName": "Linux", "Ip": "10.9.0.1", "Port": 22,
                                                   "Name": "w-1"}])["DeviceIdSet"][0]
    call("ModifyDevice", Id=dev, Port=2222)
    dgid = call("CreateDeviceGroup", Name=f"dg-{uuid.uuid4().hex[:6]}")["Id"]
    call("ModifyDeviceGroup", Id=dgid, Name=f"dg-{uuid.uuid4().hex[:6]}")
    call("AddDeviceGroupMembers", Id=dgid, MemberIdSet=[dev])
    call("DeleteDeviceGroupMembers", Id=dgid, MemberIdSet=[dev])
    account = call("CreateDeviceAccount", DeviceId=dev, Account="root")["Id"]
    call("BindDeviceAccountPassword", Id=account, Password="Hosted-pass-1")
    call("ResetDeviceAccountPassword", IdSet=[account])
    from cryptography.hazmat.primitives.asymmetric import ed25519
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()).decode()
    call("BindDeviceAccountPrivateKey", Id=account, PrivateKey=pem)
    call("ResetDeviceAccountPrivateKey", IdSet=[account])
    tid = call("CreateCmdTemplate", Name=f"t-{uuid.uuid4().hex[:6]}", CmdList="reboot")["Id"]
    call("ModifyCmdTemplate", Id=tid, Name=f"t-{uuid.uuid4().hex[:6]}", CmdList="reboot\nhalt")
    acl = call("CreateAcl", Name=f"a-{uuid.uuid4().hex[:6]}", AllowDiskRedirect=True, AllowAnyAccount=True,
               UserIdSet=[uid], DeviceIdSet=[dev], CmdTemplateIdSet=[tid])["Id"]
    call("ModifyAcl", Id=acl, Name=f"a-{uuid.uuid4().hex[:6]}", AllowDiskRedirect=False, AllowAnyAccount=True)
    task = call("CreateChangePwdTask", TaskName="w-rotate", DeviceIdSet=[dev], AccountSet=["root"], ChangeMethod=2,
                AuthGenerationStrategy=2, PasswordLength=16, SmallLetter=1, BigLetter=1, Digit=1)["OperationId"]
    call("ModifyChangePwdTask", OperationId=task, ModifyType=1, TaskName="w-rotate-2", DeviceIdSet=[dev], AccountSet=["root"],
         ChangeMethod=2, AuthGenerationStrategy=2, PasswordLength=20, SmallLetter=1, BigLetter=1, Digit=1)
    call("RunChangePwdTask", OperationId=task)
    task_id = next(t["Id"] for t in call("DescribeChangePwdTask")["Tasks"] if t["OperationId"] == task)
    call("DeleteChangePwdTask", IdSet=[task_id])
    call("CreateAssetSyncJob", Category=1)
    call("SearchFileBySid", Sid=str(uuid.uuid4()), AuditLog=False)
    call("ModifyOAuthSetting", Enable=False)
    call("DeleteAcls", IdSet=[acl])
    call("DeleteCmdTemplates", IdSet=[tid])
    call("DeleteDeviceAccounts", IdSet=[account])
    call("DeleteDeviceGroups", IdSet=[dgid])
    call("DeleteDevices", IdSet=[dev])
    call("DeleteUserGroups", IdSet=[ugid])
    call("DeleteUsers", IdSet=[uid])


def cloudhsm_writes(call: Call, acct: dict) -> None:
    import sys
    sys.path.insert(0, str(Path(__file__).parent / "cloudhsm"))
    from hsm_helpers import make_network
    from layers import aws
    net = make_network(aws.client("ec2", "ap-guangzhou"), acct["OwnerUin"])
    rid = call("CreateResource", PayMode=0, GoodsNum=1, VsmType=33, VpcId=net.vpc_id, SubnetId=net.subnet_a,
               ZoneId=100003)["ResourceIds"][0]
    call("ModifyVsmAttributes", ResourceId=rid, Type=["UpdateResourceName"], ResourceName="written")
    call("ModifyAlarmEvent", Event="CPU", Limit=80, Status=1)
    call("GetAlarmEvent")
    call("GetVsmMonitorInfo", ResourceId=rid)
    call("TerminateVsm", ResourceId=rid)


def cloudaudit_writes(call: Call, acct: dict) -> None:
    kafka = {"StorageType": "ckafka", "StorageRegion": "ap-guangzhou", "StorageName": "ckafka-w/topic",
             "StoragePrefix": "write01"}
    plain = call("CreateAuditTrack", Name="writes", Status=0, Storage=kafka, ActionType="*", ResourceType="*",
                 EventNames=["*"])["TrackId"]
    call("ModifyAuditTrack", TrackId=plain, ActionType="Write", ResourceType="*", EventNames=["*"], Status=0)
    call("StartLogging", AuditName="writes")
    call("StopLogging", AuditName="writes")
    filtered = call("CreateEventsAuditTrack", Name="writes2", Status=0, Storage=kafka, Filters={"ResourceFields": [
        {"ResourceType": "kms", "ActionType": "Write", "EventNames": ["CreateKey"]}]})["TrackId"]
    call("ModifyEventsAuditTrack", TrackId=filtered, Filters={"ResourceFields": [
        {"ResourceType": "kms", "ActionType": "*", "EventNames": ["*"]}]})
    call("DeleteAuditTrack", TrackId=filtered)
    call("DeleteAuditTrack", TrackId=plain)


WRITES: Dict[str, Callable] = {"kms": kms_writes, "dasb": dasb_writes, "cloudhsm": cloudhsm_writes,
                               "cloudaudit": cloudaudit_writes}

# Actions that answer an error by design, so no answer of theirs can be held to the Response model.
REFUSED = {
    "kms": {name: "white-box keys are not offered: ResourceUnavailable.NotPurchased (docs/kms.md)" for name in (
        "CreateWhiteBoxKey", "DeleteWhiteBoxKey", "DescribeWhiteBoxDecryptKey", "DescribeWhiteBoxDeviceFingerprints",
        "DescribeWhiteBoxKey", "DescribeWhiteBoxKeyDetails", "DisableWhiteBoxKey", "DisableWhiteBoxKeys",
        "EnableWhiteBoxKey", "EnableWhiteBoxKeys", "EncryptByWhiteBox", "OverwriteWhiteBoxDeviceFingerprints")},
}
