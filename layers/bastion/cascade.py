"""What removing a record also changes, inside the caller's transaction.

Nothing is left pointing at a removed record: deleting a user takes it out of every ACL (its
group memberships and login secrets go with it), deleting a device also deletes its accounts
and hosted credentials and frees its node on the bound resource, and so on. Binding devices to a
resource keeps the resource's UsedNodes count and its licensed-node limit in the same transaction.
"""
from typing import Dict, Iterable, Set

from layers.bastion import billing, checks, credentials, ssl_certs
from layers.bastion.store import Tx
from layers.gateway.errors import ApiError


def _strip_acls(tx: Tx, field: str, ids: Set[int]) -> None:
    for acl in tx.all("acl").values():
        if ids.intersection(acl[field]):
            acl[field] = [i for i in acl[field] if i not in ids]
            tx.put("acl", acl)


def _strip_groups(tx: Tx, member_kind: str, group_ids: Set[int]) -> None:
    for rec in tx.all(member_kind).values():
        if group_ids.intersection(rec.get("GroupIds", ())):
            rec["GroupIds"] = [g for g in rec["GroupIds"] if g not in group_ids]
            tx.put(member_kind, rec)


def remove_users(tx: Tx, ids: Iterable[int]) -> None:
    ids = set(ids)
    _strip_acls(tx, "UserIds", ids)
    credentials.forget(tx, ids)
    for i in ids:
        tx.delete("user", i)


def remove_groups(tx: Tx, kind: str, member_kind: str, acl_field: str, ids: Iterable[int]) -> None:
    """Delete groups of `kind`: their members leave them and ACLs stop naming them (acl_field)."""
    ids = set(ids)
    _strip_groups(tx, member_kind, ids)
    _strip_acls(tx, acl_field, ids)
    for i in ids:
        tx.delete(kind, i)


def remove_cmd_templates(tx: Tx, ids: Iterable[int]) -> None:
    ids = set(ids)
    _strip_acls(tx, "CmdTemplateIds", ids)
    for i in ids:
        tx.delete("cmdtemplate", i)


def remove_devices(tx: Tx, devices: Dict[int, dict]) -> None:
    """Delete these device records with their accounts, ACL references and resource nodes."""
    ids = set(devices)
    _strip_acls(tx, "DeviceIds", ids)
    for acc in list(tx.all("account").values()):
        if acc["DeviceId"] in ids:
            tx.delete("account", acc["Id"])
    _release_nodes(tx, devices.values())
    ssl_certs.forget(tx, devices.values())
    for i in ids:
        tx.delete("device", i)


def resources_by_rid(tx: Tx) -> Dict[str, dict]:
    return {r["ResourceId"]: r for r in tx.all("resource").values()}


def resource_by_rid(tx: Tx, rid: str) -> dict:
    """The resource with this ResourceId; ResourceNotFound when there is none."""
    return checks.require(resources_by_rid(tx).get(rid), rid, checks.RESOURCE)


def _release_nodes(tx: Tx, devices: Iterable[dict]) -> None:
    resources = None
    for dev in devices:
        rid = dev.get("ResourceId")
        if not rid:
            continue
        resources = resources if resources is not None else resources_by_rid(tx)
        res = resources.get(rid)
        if res is not None:
            res["UsedNodes"] = max(0, res.get("UsedNodes", 0) - 1)
            tx.put("resource", res)


def bind(tx: Tx, devices: Iterable[dict], resource: dict) -> None:
    """Bind devices to a resource; refused when it would exceed the resource's licensed nodes."""
    moving = [d for d in devices if d.get("ResourceId") != resource["ResourceId"]]
    if not moving:
        return
    allowed = billing.nodes(resource)
    used = resource.get("UsedNodes", 0)
    if used + len(moving) > allowed:
        raise ApiError("LimitExceeded", f"Resource {resource['ResourceId']} is licensed for {allowed} assets and "
                       f"has {used} bound: binding {len(moving)} more would exceed it.")
    _release_nodes(tx, moving)
    resource["UsedNodes"] = used + len(moving)
    tx.put("resource", resource)
    for dev in moving:
        dev["ResourceId"] = resource["ResourceId"]
        tx.put("device", dev)


def remove_resource(tx: Tx, resource: dict) -> None:
    """Destroy a resource: its devices become unbound."""
    for dev in tx.all("device").values():
        if dev.get("ResourceId") == resource["ResourceId"]:
            dev["ResourceId"] = ""
            tx.put("device", dev)
    tx.delete("resource", resource["Id"])
