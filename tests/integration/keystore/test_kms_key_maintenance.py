"""The hourly kms_key_maintenance schedule, fired through the app as the pump fires it: keys past their
deletion date go, keys due for rotation rotate, other keys are left alone."""
import time

from keystore_helpers import context, owner
from layers.kms import keys
from layers.kms.usages import USAGES
from layers.stores import kms_keys


def _key(ctx, alias):
    return keys.create(ctx, alias=alias, description="", usage=USAGES["ENCRYPT_DECRYPT"], tags=[], hsm_cluster_id="")


def test_schedule_deletes_and_rotates_what_is_due(stack):
    from infra.pump import Pump
    account = owner()
    ctx = context(account)
    past = int(time.time()) - 10
    doomed, due, waiting, idle = (_key(ctx, a)["KeyId"] for a in ("doomed", "due", "waiting", "idle"))
    assert kms_keys.update(account, doomed, {"KeyState": "PendingDelete", "DeletionDate": past}, {})
    assert kms_keys.update(account, waiting, {"KeyState": "PendingDelete", "DeletionDate": past + 86400}, {})
    assert kms_keys.update(account, due, {"RotationEnabled": True, "RotateDays": 7, "NextRotateTime": past}, {})
    done = Pump(stack.app).fire("kms_key_maintenance")
    assert done["deleted"] >= 1 and done["rotated"] >= 1
    assert kms_keys.get(account, doomed) is None
    rotated = kms_keys.get(account, due)
    assert rotated["Current"] == 2 and set(rotated["Material"]) == {"1", "2"}
    assert rotated["NextRotateTime"] >= int(time.time()) + 7 * 86400 - 5
    assert kms_keys.get(account, waiting)["KeyState"] == "PendingDelete"
    assert kms_keys.get(account, idle)["Current"] == 1
    assert kms_keys.count(account, "ap-guangzhou") == 3
