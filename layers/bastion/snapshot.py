"""One account's bastion records, loaded on first use, with their relations resolved.

Group membership is kept on the members (user["GroupIds"], device["GroupIds"]); an access
permission (ACL) names users, user groups, devices and device groups. Who may reach what is
always resolved through both: an ACL reaches the users it names plus the members of its user
groups, and the devices it names plus the members of its device groups.
"""
from collections import Counter
from typing import Callable, Dict, Iterable, Optional, Set

from layers.bastion import departments, store

KINDS = ("user", "usergroup", "device", "devicegroup", "acl", "cmdtemplate", "account", "resource")


class Snapshot:
    def __init__(self, account: str, loader: Optional[Callable[[str], Dict[int, dict]]] = None) -> None:
        self.account = account
        self._load = loader or (lambda kind: store.load_all(account, kind))
        self._cache: Dict[str, Dict[int, dict]] = {}
        self._derived: dict = {}

    def of(self, kind: str) -> Dict[int, dict]:
        if kind not in self._cache:
            self._cache[kind] = self._load(kind)
        return self._cache[kind]

    @property
    def users(self) -> Dict[int, dict]:
        return self.of("user")

    @property
    def user_groups(self) -> Dict[int, dict]:
        return self.of("usergroup")

    @property
    def devices(self) -> Dict[int, dict]:
        return self.of("device")

    @property
    def device_groups(self) -> Dict[int, dict]:
        return self.of("devicegroup")

    @property
    def acls(self) -> Dict[int, dict]:
        return self.of("acl")

    @property
    def templates(self) -> Dict[int, dict]:
        return self.of("cmdtemplate")

    @property
    def accounts(self) -> Dict[int, dict]:
        return self.of("account")

    @property
    def resources(self) -> Dict[int, dict]:
        return self.of("resource")

    @property
    def departments(self) -> departments.Tree:
        """The account's departments, loaded once per snapshot (every Department view comes from it)."""
        tree = self._derived.get("departments")
        if tree is None:
            tree = self._derived["departments"] = departments.Tree(self.of(departments.KIND), lambda: self.users)
        return tree

    # ---- relations ----
    def resource_by_rid(self, resource_id: str) -> Optional[dict]:
        index = self._derived.get("rid")
        if index is None:
            index = self._derived["rid"] = {r["ResourceId"]: r for r in self.resources.values()}
        return index.get(resource_id) if resource_id else None

    def account_counts(self) -> Counter:
        counts = self._derived.get("accounts")
        if counts is None:
            counts = self._derived["accounts"] = Counter(a["DeviceId"] for a in self.accounts.values())
        return counts

    @staticmethod
    def members(records: Dict[int, dict], group_ids: Iterable[int]) -> Set[int]:
        wanted = set(group_ids)
        if not wanted:
            return set()
        return {rid for rid, rec in records.items() if wanted.intersection(rec.get("GroupIds", ()))}

    def acl_users(self, acl: dict) -> Set[int]:
        key = ("acl-users", acl["Id"])
        if key not in self._derived:
            self._derived[key] = ({u for u in acl["UserIds"] if u in self.users}
                                  | self.members(self.users, acl["UserGroupIds"]))
        return self._derived[key]

    def acl_devices(self, acl: dict) -> Set[int]:
        key = ("acl-devices", acl["Id"])
        if key not in self._derived:
            self._derived[key] = ({d for d in acl["DeviceIds"] if d in self.devices}
                                  | self.members(self.devices, acl["DeviceGroupIds"]))
        return self._derived[key]

    def users_reaching(self, device_ids: Iterable[int]) -> Set[int]:
        """Users that some ACL gives access to any of these devices."""
        wanted, found = set(device_ids), set()
        for acl in self.acls.values():
            if wanted & self.acl_devices(acl):
                found |= self.acl_users(acl)
        return found

    def devices_reached_by(self, user_ids: Iterable[int]) -> Set[int]:
        """Devices that some ACL gives any of these users access to."""
        wanted, found = set(user_ids), set()
        for acl in self.acls.values():
            if wanted & self.acl_users(acl):
                found |= self.acl_devices(acl)
        return found

    def acls_reaching_users(self, user_ids: Iterable[int]) -> Set[int]:
        wanted = set(user_ids)
        return {aid for aid, acl in self.acls.items() if wanted & self.acl_users(acl)}

    def acls_reaching_devices(self, device_ids: Iterable[int]) -> Set[int]:
        wanted = set(device_ids)
        return {aid for aid, acl in self.acls.items() if wanted & self.acl_devices(acl)}
