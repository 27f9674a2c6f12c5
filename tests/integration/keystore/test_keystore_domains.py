"""The key hierarchy against moto: the root key in KMS, domain master keys wrapped by it, stored keys
bound to what they are, destroying (crypto-shredding) and re-creating domains, the VSM hook."""
import threading

import pytest

from layers import keystore
from layers.keystore import domains, root, stored_keys
from layers.keystore.errors import DomainDestroyed, DomainNotFound, UnwrapFailed
from layers.stores import key_domains, keystore_table, kms_keys

from keystore_helpers import context, make_vsm, owner


def test_root_key_is_created_once_and_found_by_alias(stack):
    from layers import aws
    arn = root.key_arn()
    root._resolved.clear()                                   # another process finds the same key
    assert root.key_arn() == arn
    kms = aws.client("kms")
    assert kms.describe_key(KeyId=root.alias())["KeyMetadata"]["Arn"] == arn
    assert root.alias() == "alias/guardzone-root"


def test_domain_master_key_is_stored_only_wrapped(stack):
    account = owner()
    assert keystore.create_domain(account, "hsm-one") == 1
    assert keystore.create_domain(account, "hsm-one") == 1          # idempotent
    domain = domains.get(account, "hsm-one")
    master = domains.master_key(domain)
    assert len(master) == 32
    items = keystore_table.ddb().query(TableName=keystore_table.table_name(), KeyConditionExpression="pk = :pk",
                                       ExpressionAttributeValues={":pk": {"S": f"ACCOUNT#{account}"}})["Items"]
    assert [i["sk"]["S"] for i in items] == ["DOMAIN#hsm-one"]
    assert master not in repr(items).encode() and master.hex() not in repr(items)
    assert items[0]["Master"]["B"] != master
    domains.forget(account, "hsm-one")                                  # opened again through the root key
    assert domains.master_key(domains.get(account, "hsm-one")) == master


def test_master_key_opens_only_for_its_own_domain(stack):
    account = owner()
    keystore.create_domain(account, "hsm-a")
    a = domains.get(account, "hsm-a")
    with pytest.raises(UnwrapFailed):
        root.open_master_key(account, "hsm-b", a.generation, a.master_blob)
    with pytest.raises(UnwrapFailed):
        root.open_master_key(owner(), "hsm-a", a.generation, a.master_blob)


def test_stored_keys_are_bound_to_what_they_are(stack):
    account = owner()
    keystore.create_domain(account, "hsm-bind")
    domain = domains.get(account, "hsm-bind")
    wrapped = stored_keys.wrap(domain, "key-1", 1, b"k" * 16)
    assert b"k" * 16 not in wrapped
    assert stored_keys.unwrap(domain, "key-1", 1, wrapped) == b"k" * 16
    keystore.create_domain(account, "hsm-other")
    other = domains.get(account, "hsm-other")
    for dom, key_id, version, blob in ((domain, "key-2", 1, wrapped), (domain, "key-1", 2, wrapped),
                                       (other, "key-1", 1, wrapped),
                                       (domain, "key-1", 1, wrapped[:-1] + bytes([wrapped[-1] ^ 1])),
                                       (domain, "key-1", 1, wrapped[:10])):
        with pytest.raises(UnwrapFailed):
            stored_keys.unwrap(dom, key_id, version, blob)


def test_destroy_shreds_and_only_an_explicit_create_starts_again(stack):
    account = owner()
    keystore.create_domain(account, "hsm-x")
    old = domains.get(account, "hsm-x")
    old_master = domains.master_key(old)
    wrapped = stored_keys.wrap(old, "key-1", 1, b"material")
    assert keystore.destroy_domain(account, "hsm-x") == 0
    item = key_domains.get(account, "hsm-x")
    assert item["State"] == "Destroyed" and "Master" not in item
    with pytest.raises(DomainDestroyed):
        domains.get(account, "hsm-x")
    with pytest.raises(DomainDestroyed):
        domains.ensure(account, "hsm-x")                               # the request path never revives it
    assert keystore.destroy_domain(account, "hsm-x") == 0             # idempotent
    assert keystore.create_domain(account, "hsm-x") == 2              # an explicit create starts generation 2
    new = domains.get(account, "hsm-x")
    assert domains.master_key(new) != old_master
    with pytest.raises(UnwrapFailed):
        stored_keys.unwrap(new, "key-1", 1, wrapped)
    with pytest.raises(DomainNotFound):
        domains.get(account, "never-made")
    assert keystore.destroy_domain(account, "never-made") == 0


def test_destroy_deletes_the_domains_keys_and_only_them(stack):
    from layers.kms import keys
    from layers.kms.usages import USAGES
    account = owner()
    vsm = make_vsm(account)
    ctx = context(account)
    held = [keys.create(ctx, alias=f"v{i}", description="", usage=USAGES["ENCRYPT_DECRYPT"], tags=[],
                        hsm_cluster_id=vsm["ResourceId"]) for i in range(3)]
    kept = keys.create(ctx, alias="default-one", description="", usage=USAGES["ENCRYPT_DECRYPT"], tags=[],
                       hsm_cluster_id="")
    assert keystore.destroy_domain(account, vsm["ResourceId"]) == 3
    remaining = [d["KeyId"] for d in keys.visible(ctx)]
    assert remaining == [kept["KeyId"]] and all(h["KeyId"] not in remaining for h in held)
    assert keystore_table.get(account, "ALIAS#ap-guangzhou#v0") is None           # aliases go too
    assert kms_keys.count(account, "ap-guangzhou") == 1


def test_racing_creations_make_one_domain(stack):
    account = owner()
    results, errors = [], []

    def create():
        try:
            results.append(domains.ensure(account, "hsm-race"))
        except Exception as exc:          # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len({(d.generation, d.master_blob) for d in results}) == 1
    assert len({domains.master_key(d) for d in results}) == 1


def test_vsm_termination_hook(stack):
    import layers.keystore.vsm_hooks  # noqa: F401
    import importlib
    from layers.stores import vsm as vsm_store
    importlib.reload(layers.keystore.vsm_hooks)                        # registering twice adds it once
    assert vsm_store.termination_hooks.count(keystore.shred_vsm) == 1
    account = owner()
    keystore.create_domain(account, "hsm-term")
    vsm_store.on_vsm_terminated({"ResourceId": "hsm-term", "OwnerUin": account})
    with pytest.raises(DomainDestroyed):
        domains.get(account, "hsm-term")
