"""User groups and device groups: the same operations over two kinds of members.

Membership lives on the members (GroupIds), so a group's members are the users or devices
naming it; group names are unique per kind within an account."""
from dataclasses import dataclass
from typing import Iterable, List, Optional

from layers.bastion import cascade, checks, departments, filters, store, views
from layers.bastion.snapshot import Snapshot
from layers.bastion.store import Tx
from layers.gateway.errors import ApiError


@dataclass(frozen=True)
class GroupKind:
    kind: str               # record kind of the groups
    member_kind: str        # record kind of the members
    what: str               # "User group" / "Device group"
    member_what: str        # "User" / "Device"
    acl_field: str          # the ACL field naming groups of this kind

    def remove(self, tx: Tx, ids: Iterable[int]) -> None:
        cascade.remove_groups(tx, self.kind, self.member_kind, self.acl_field, ids)


USER_GROUPS = GroupKind("usergroup", "user", checks.USER_GROUP, checks.USER, "UserGroupIds")
DEVICE_GROUPS = GroupKind("devicegroup", "device", checks.DEVICE_GROUP, checks.DEVICE, "DeviceGroupIds")


def _duplicate(gk: GroupKind, name: str) -> ApiError:
    return ApiError("FailedOperation.DuplicateData", f"{gk.what} name `{name}` already exists.")


def create(account: str, gk: GroupKind, name: str, department_id: Optional[str]) -> int:
    def write(tx: Tx) -> int:
        if checks.name_taken(tx.all(gk.kind), "Name", name):
            raise _duplicate(gk, name)
        departments.check(tx, department_id)
        (gid,) = tx.new_ids(gk.kind)
        tx.put(gk.kind, {"Id": gid, "Name": name, "DepartmentId": department_id or ""})
        return gid
    return store.transaction(account, write)


def modify(account: str, gk: GroupKind, gid: int, name: str, department_id: Optional[str]) -> None:
    def write(tx: Tx) -> None:
        groups = tx.all(gk.kind)
        rec = checks.require(groups.get(gid), gid, gk.what)
        if checks.name_taken(groups, "Name", name, except_id=gid):
            raise _duplicate(gk, name)
        rec["Name"] = name
        if department_id is not None:
            rec["DepartmentId"] = departments.check(tx, department_id)
        tx.put(gk.kind, rec)
    store.transaction(account, write)


def delete(account: str, gk: GroupKind, ids: List[int]) -> None:
    def write(tx: Tx) -> None:
        checks.require_all(tx.get_many(gk.kind, ids), ids, gk.what)
        gk.remove(tx, ids)
    store.transaction(account, write)


def add_members(account: str, gk: GroupKind, gid: int, member_ids: List[int]) -> None:
    def write(tx: Tx) -> None:
        checks.require(tx.get(gk.kind, gid), gid, gk.what)
        members = checks.require_all(tx.get_many(gk.member_kind, member_ids), member_ids, gk.member_what)
        for m in members:
            if gid in m.get("GroupIds", ()):
                raise ApiError("FailedOperation.DuplicateData",
                               f"{gk.member_what} {m['Id']} is already a member of {gk.what.lower()} {gid}.")
        for m in members:
            m["GroupIds"] = list(m.get("GroupIds", ())) + [gid]
            tx.put(gk.member_kind, m)
    store.transaction(account, write)


def remove_members(account: str, gk: GroupKind, gid: int, member_ids: List[int]) -> None:
    """Members not in the group are left as they are."""
    def write(tx: Tx) -> None:
        checks.require(tx.get(gk.kind, gid), gid, gk.what)
        for m in checks.require_all(tx.get_many(gk.member_kind, member_ids), member_ids, gk.member_what):
            if gid in m.get("GroupIds", ()):
                m["GroupIds"] = [g for g in m["GroupIds"] if g != gid]
                tx.put(gk.member_kind, m)
    store.transaction(account, write)


def set_membership(tx: Tx, gk: GroupKind, member: dict, group_ids: List[int]) -> None:
    """Replace a member's groups (CreateUser/ModifyUser/ModifyDevice GroupIdSet)."""
    checks.require_all(tx.get_many(gk.kind, group_ids), group_ids, gk.what)
    member["GroupIds"] = list(group_ids)


def describe(account: str, gk: GroupKind, *, id_set, name, department_id, offset: int, limit: int) -> dict:
    snap = Snapshot(account)
    snap.departments.check(department_id)
    groups = filters.by_id(snap.of(gk.kind))
    if id_set:
        wanted = set(id_set)
        groups = [g for g in groups if g["Id"] in wanted]
    else:
        groups = [g for g in groups if filters.fuzzy(name, g["Name"]) and filters.in_department(g, department_id)]
    counts: dict = {}
    for m in snap.of(gk.member_kind).values():
        for g in m.get("GroupIds", ()):
            counts[g] = counts.get(g, 0) + 1
    return {"TotalCount": len(groups),
            "GroupSet": [views.group(g, snap, counts.get(g["Id"], 0)) for g in filters.page(groups, offset, limit)]}


def members_of(snap: Snapshot, gk: GroupKind, gid: int, bound: bool) -> List[dict]:
    """The members (bound=True) or non-members (bound=False) of a group, by Id."""
    checks.require(snap.of(gk.kind).get(gid), gid, gk.what)
    return [m for m in filters.by_id(snap.of(gk.member_kind)) if (gid in m.get("GroupIds", ())) == bound]
