"""BindCloudResource / UnbindCloudResource (a bound CMK cannot be scheduled for deletion) and the white-box
actions (the white-box key service is not enabled), through the typed KmsClient and tccli."""
import json
import os
import subprocess
import time
from pathlib import Path

from kms_helpers import REGION, Kms, b64, kms, new_account  # noqa: F401 (kms is a fixture)

ROOT = Path(__file__).resolve().parents[3]
NOT_BOUND = "ResourceUnavailable.CloudResourceBindingNotFound"
IN_USE = "FailedOperation.CmkUsedByCloudProduct"
NOT_ENABLED = "ResourceUnavailable.NotPurchased"


def binding(key_id, resource="ins-1", product="cbs"):
    return {"KeyId": key_id, "ProductId": product, "ResourceId": resource}


def test_a_bound_key_cannot_be_scheduled_for_deletion(kms):
    key_id = kms.create()
    kms.call("BindCloudResource", binding(key_id))
    kms.call("BindCloudResource", binding(key_id))                           # again: still one binding
    kms.call("BindCloudResource", binding(key_id, "ins-2"))
    kms.call("DisableKey", {"KeyId": key_id})                                # disabling is still possible
    schedule = {"KeyId": key_id, "PendingWindowInDays": 7}
    assert kms.error("ScheduleKeyDeletion", schedule) == IN_USE
    kms.call("UnbindCloudResource", binding(key_id))
    assert kms.error("UnbindCloudResource", binding(key_id)) == NOT_BOUND     # the repeated bind left one
    assert kms.error("ScheduleKeyDeletion", schedule) == IN_USE              # ins-2 still uses it
    assert kms.error("UnbindCloudResource", binding(key_id, "ins-2", "cdb")) == NOT_BOUND   # another product's
    kms.call("UnbindCloudResource", binding(key_id, "ins-2"))
    assert kms.state(key_id) == "Disabled"
    kms.call("ScheduleKeyDeletion", schedule)
    assert kms.state(key_id) == "PendingDelete"
    assert kms.error("BindCloudResource", binding(key_id)) == "ResourceUnavailable.CmkStateNotSupport"
    kms.call("CancelKeyDeletion", {"KeyId": key_id})
    kms.call("BindCloudResource", binding(key_id))
    assert kms.error("ScheduleKeyDeletion", schedule) == IN_USE


def test_binding_cancels_the_expiry_of_imported_material(kms):
    from test_kms_import_and_archive import external, import_material
    key_id = external(kms)
    valid_to = int(time.time()) + 3600
    import_material(kms, key_id, os.urandom(16), ValidTo=valid_to)
    assert kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]["ValidTo"] == valid_to
    kms.call("BindCloudResource", binding(key_id, "bucket-1", "cos"))
    meta = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert meta["ValidTo"] == 0 and meta["KeyState"] == "Enabled"


def test_binding_errors_and_tenancy(stack, kms):
    key_id = kms.create()
    assert kms.error("BindCloudResource", {"KeyId": key_id, "ProductId": "cbs"}) == "MissingParameter"
    assert kms.error("BindCloudResource", binding(key_id, product="")) == "InvalidParameter"
    assert kms.error("BindCloudResource", binding(key_id, resource="r" * 257)) == "InvalidParameter"
    assert kms.error("BindCloudResource", binding("not-a-key")) == "InvalidParameterValue.InvalidKeyId"
    assert kms.error("BindCloudResource", binding("00000000-0000-0000-0000-000000000000")) == \
        "ResourceUnavailable.CmkNotFound"
    kms.call("BindCloudResource", binding(key_id))
    intruder = Kms(stack.endpoint, new_account("bind-intruder"))
    for action in ("BindCloudResource", "UnbindCloudResource"):
        assert intruder.error(action, binding(key_id)) == "ResourceUnavailable.CmkNotFound", action
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7}) == IN_USE


WHITE_BOX = [
    ("CreateWhiteBoxKey", {"Alias": "wb", "Algorithm": "SM4", "Description": "d",
                           "Tags": [{"TagKey": "env", "TagValue": "prod"}]}),
    ("DeleteWhiteBoxKey", {"KeyId": "1"}), ("DescribeWhiteBoxDecryptKey", {"KeyId": "1"}),
    ("DescribeWhiteBoxDeviceFingerprints", {"KeyId": "1"}), ("DescribeWhiteBoxKey", {"KeyId": "1"}),
    ("DescribeWhiteBoxKeyDetails", {"KeyStatus": 1, "Offset": 0, "Limit": 10,
                                    "TagFilters": [{"TagKey": "env", "TagValue": ["prod"]}]}),
    ("DisableWhiteBoxKey", {"KeyId": "1"}), ("DisableWhiteBoxKeys", {"KeyIds": ["1", "2"]}),
    ("EnableWhiteBoxKey", {"KeyId": "1"}), ("EnableWhiteBoxKeys", {"KeyIds": ["1"]}),
    ("EncryptByWhiteBox", {"KeyId": "1", "PlainText": b64(b"x"), "InitializationVector": b64(b"i" * 16)}),
    ("OverwriteWhiteBoxDeviceFingerprints", {"KeyId": "1", "DeviceFingerprints": [
        {"Identity": "0123abcd-00000000000000-00000000000000-00000000000000-0000000000000000",
         "Description": "laptop"}]}),
]


def test_white_box_service_is_not_enabled(kms):
    assert kms.call("DescribeWhiteBoxServiceStatus")["ServiceEnabled"] is False
    for action, params in WHITE_BOX:
        assert kms.error(action, params) == NOT_ENABLED, action
    assert kms.error("CreateWhiteBoxKey", {"Alias": "wb"}) == "MissingParameter"      # parameters checked first
    assert kms.error("EncryptByWhiteBox", {"KeyId": "1"}) == "MissingParameter"


def test_tccli_binds_and_reads_white_box_status(stack, kms, tmp_path):
    key_id = kms.create()
    base = [str(ROOT / ".venv" / "bin" / "tccli"), "kms"]
    common = ["--region", REGION, "--endpoint", f"http://{stack.endpoint}",
              "--secretId", kms.acct["SecretId"], "--secretKey", kms.acct["SecretKey"]]
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(base + ["BindCloudResource"] + common + ["--KeyId", key_id, "--ProductId", "cbs", "--ResourceId", "ins-9"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    assert json.loads(out.stdout)["RequestId"]
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7}) == IN_USE
    out = subprocess.run(base + ["DescribeWhiteBoxServiceStatus"] + common, capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    assert json.loads(out.stdout)["ServiceEnabled"] is False
