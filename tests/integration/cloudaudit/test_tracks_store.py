"""The track store (layers/audit/tracks.py): ids, names, the per-account limit, matching, delivery status."""
import pytest

from ca_support import make_event, new_account, now_ms
from layers.audit import tracks
from layers.gateway.errors import ApiError


def _track(account, name, **kw):
    storage = {"StorageType": "cos", "StorageRegion": "ap-guangzhou", "StorageName": "trail-bucket",
               "StoragePrefix": "logs01", "StorageAccountId": account, "StorageAppId": "1250000001", "Compress": 1}
    return tracks.Track(account=account, track_id=0, name=name, storage=kw.pop("storage", storage), **kw)


def test_create_get_list_delete_and_limit(stack):
    a, b = new_account(), new_account()
    t1 = tracks.create(_track(a, "first"))
    t2 = tracks.create(_track(a, "second", status=tracks.STOPPED))
    assert (t1.track_id, t2.track_id) == (1, 2)
    assert tracks.get(a, 1).name == "first" and tracks.by_name(a, "second").track_id == 2
    assert tracks.get(a, 1).storage["StorageName"] == "trail-bucket"
    assert [t.track_id for t in tracks.active(a)] == [1]
    assert any(t.account == a and t.track_id == 1 for t in tracks.active())
    with pytest.raises(ApiError) as e:
        tracks.get(b, 1)                                   # another account sees nothing
    assert e.value.code == "ResourceNotFound.AuditNotExist"
    with pytest.raises(tracks.NameTaken):
        tracks.create(_track(a, "first"))
    assert tracks.remaining(a) == tracks.TRACK_LIMIT - 2
    for i in range(tracks.TRACK_LIMIT - 2):
        tracks.create(_track(a, f"more{i}"))
    with pytest.raises(tracks.LimitReached):
        tracks.create(_track(a, "one-too-many"))
    tracks.delete(a, 1)
    assert tracks.remaining(a) == 1
    with pytest.raises(ApiError):
        tracks.by_name(a, "first")
    t = tracks.create(_track(a, "first"))                  # the name is free again; ids are not reused
    assert t.track_id == tracks.TRACK_LIMIT + 2


def test_report_delivery_merges_and_save_keeps_it(stack):
    a = new_account()
    t = tracks.create(_track(a, "deliv"))
    tracks.report_delivery(a, t.track_id, LastDeliveryTime="2024-01-01 00:00:00", Pending=3)
    tracks.report_delivery(a, t.track_id, Pending=0)
    got = tracks.get(a, t.track_id)
    assert got.delivery == {"LastDeliveryTime": "2024-01-01 00:00:00", "Pending": 0}
    got.action_type = "Write"
    tracks.save(got)
    again = tracks.get(a, t.track_id)
    assert again.action_type == "Write" and again.delivery["Pending"] == 0
    tracks.report_delivery(a, 999, Pending=1)              # an absent track stays absent
    with pytest.raises(ApiError):
        tracks.get(a, 999)


def test_matches():
    a = "100000000001"
    ev = make_event(a, now_ms(), action="CreateKey", service="kms")
    assert ev["ActionType"] == "Write"
    assert tracks.matches(_track(a, "all"), ev)
    assert not tracks.matches(_track("100000000002", "other"), ev)
    assert not tracks.matches(_track(a, "reads", action_type="Read"), ev)
    assert tracks.matches(_track(a, "kms", resource_type="kms", event_names=["CreateKey"]), ev)
    assert not tracks.matches(_track(a, "hsm", resource_type="cloudhsm"), ev)
    assert not tracks.matches(_track(a, "kms2", resource_type="kms", event_names=["Encrypt"]), ev)
    f = {"ResourceFields": [{"ResourceType": "cloudhsm", "ActionType": "*", "EventNames": ["*"]},
                            {"ResourceType": "kms", "ActionType": "Write", "EventNames": ["CreateKey"]}]}
    assert tracks.matches(_track(a, "filtered", filters=f), ev)
    f2 = {"ResourceFields": [{"ResourceType": "kms", "ActionType": "Read", "EventNames": ["*"]}]}
    assert not tracks.matches(_track(a, "filtered2", filters=f2), ev)


def test_mapping():
    t = _track("100000000001", "x")
    assert tracks.bucket_of(t) == "trail-bucket-1250000001"
    assert tracks.bucket_region(t) == "us-east-1"
    assert tracks.queue_of(t) is None
    t.queue = {"region": "ap-shanghai", "name": "audit-q"}
    assert tracks.queue_of(t) == ("us-east-2", "audit-q-1250000001")
    k = _track("100000000001", "k", storage={"StorageType": "ckafka", "StorageRegion": "ap-guangzhou",
                                             "StorageName": "ckafka-abc/topic1", "StorageAppId": "1250000001"})
    assert tracks.bucket_of(k) == ""
