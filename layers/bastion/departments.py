"""Departments (部门): a tree per account that users, groups, devices, ACLs and password-rotation
tasks belong to (their DepartmentId), with managers who are bastion users of the account.

Ids are paths: the root department "1" always exists (named ROOT_NAME until renamed); a child's
id is its parent's id, a dot and a number handed out once per account ("1.2", "1.2.3"). A record
without a department is in the root. The API has no department actions: they are managed with
`guardzone bastion department ...` (infra/bastion_cli.py) through the functions below. Records are
kind "department" in the bastion table (layers/bastion/store.py), keyed by the last number of the
id (the root by 1, stored only once renamed or given managers):

    Id (int, the last number of Path), Path "1.2.3", Name, Managers [user Id]

Views: a request builds one Tree from one load of the account's departments (Snapshot.departments,
or tree(tx) inside a transaction) and every Department object it answers comes from it. A
manager whose user was deleted is left out of the view.
"""
from typing import Callable, Dict, Iterable, List, Optional

from layers.bastion import checks, store
from layers.bastion.store import Tx
from layers.gateway.errors import ApiError, invalid_value, not_found

KIND = "department"
store.SHARD_SIZE.setdefault(KIND, 256)
ROOT = "1"
ROOT_NAME = "Root"
WHAT = "Department"
MAX_NAME = 256
MAX_ID = 128                # DepartmentId parameters are at most 128 characters (layers/bastion/fields.py)
MAX_MANAGERS = 100
# Record kinds that name a department (their DepartmentId).
MEMBER_KINDS = ("user", "usergroup", "device", "devicegroup", "acl", "pwdtask")


def of(rec: dict) -> str:
    """The department a record belongs to ("" or absent: the root)."""
    return rec.get("DepartmentId") or ROOT


def _key(path: str) -> int:
    return int(path.rsplit(".", 1)[-1])


def _sort_key(path: str):
    return [int(n) for n in path.split(".")]


def _root() -> dict:
    return {"Id": int(ROOT), "Path": ROOT, "Name": ROOT_NAME, "Managers": []}


class Tree:
    """One account's departments, as loaded once; views cached per department."""

    def __init__(self, recs: Dict[int, dict], users: Callable[[], Dict[int, dict]]) -> None:
        self.by_path: Dict[str, dict] = {r["Path"]: r for r in recs.values()}
        self.by_path.setdefault(ROOT, _root())
        self._users = users
        self._views: Dict[str, dict] = {}

    def get(self, path: str) -> Optional[dict]:
        return self.by_path.get(path)

    def require(self, path: str) -> dict:
        return checks.require(self.by_path.get(path), path, WHAT)

    def check(self, department_id: Optional[str]) -> Optional[str]:
        """A DepartmentId parameter (create, modify or filter): None/"" pass; an id that is not a
        department of the account is ResourceNotFound."""
        if department_id:
            self.require(department_id)
        return department_id

    def children(self, path: str) -> List[dict]:
        return [r for p, r in self.by_path.items() if p.rsplit(".", 1)[0] == path and p != path]

    def ordered(self) -> List[dict]:
        return [self.by_path[p] for p in sorted(self.by_path, key=_sort_key)]

    def view(self, path: str) -> dict:
        """The Department structure: Id, Name, Managers (user Ids as strings), ManagerUsers."""
        path = path or ROOT
        out = self._views.get(path)
        if out is None:
            rec = self.by_path.get(path) or {"Path": path, "Name": path, "Managers": []}
            users = self._users() if rec.get("Managers") else {}
            managers = [users[u] for u in rec.get("Managers", ()) if u in users]
            out = self._views[path] = {
                "Id": path, "Name": rec["Name"], "Managers": [str(u["Id"]) for u in managers],
                "ManagerUsers": [{"ManagerId": str(u["Id"]), "ManagerName": u["RealName"]} for u in managers]}
        # A fresh copy: callers may put it into responses that are changed later.
        return {**out, "Managers": list(out["Managers"]), "ManagerUsers": [dict(m) for m in out["ManagerUsers"]]}


def tree(tx: Tx) -> Tree:
    """The account's departments as read inside the transaction (so a concurrent change to them
    makes the transaction run again)."""
    return Tree(tx.all(KIND), lambda: tx.all("user"))


def check(tx: Tx, department_id: Optional[str]) -> Optional[str]:
    """Validate a Create*/Modify* DepartmentId inside the caller's transaction."""
    return tree(tx).check(department_id) if department_id else department_id


# ---- management (the `guardzone bastion department` commands) ----
def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise invalid_value("Name", f"a department name is 1-{MAX_NAME} characters")
    return name


def _unique_among_siblings(t: Tree, parent: str, name: str, except_path: str = "") -> None:
    if any(r["Name"] == name and r["Path"] != except_path for r in t.children(parent)):
        raise ApiError("FailedOperation.DuplicateData", f"Department `{parent}` already has a department named `{name}`.")


def list_all(account: str) -> List[dict]:
    """Every department, in tree order, as the Department structure."""
    t = Tree(store.load_all(account, KIND), lambda: store.load_all(account, "user"))
    return [t.view(r["Path"]) for r in t.ordered()]


def create(account: str, name: str, parent: str = ROOT) -> dict:
    name = _name(name)

    def write(tx: Tx) -> dict:
        t = tree(tx)
        t.require(parent)
        _unique_among_siblings(t, parent, name)
        n = tx.new_ids(KIND)[0]
        while n <= int(ROOT):               # numbers start above the root's
            n = tx.new_ids(KIND)[0]
        path = f"{parent}.{n}"
        if len(path) > MAX_ID:
            raise ApiError("LimitExceeded", f"Departments nest too deep: an id is at most {MAX_ID} characters.")
        tx.put(KIND, {"Id": n, "Path": path, "Name": name, "Managers": []})
        return tree(tx).view(path)
    return store.transaction(account, write)


def _change(account: str, path: str, fn: Callable[[Tx, Tree, dict], None]) -> dict:
    def write(tx: Tx) -> dict:
        t = tree(tx)
        rec = dict(t.require(path))
        fn(tx, t, rec)
        tx.put(KIND, rec)
        return tree(tx).view(path)
    return store.transaction(account, write)


def rename(account: str, path: str, name: str) -> dict:
    name = _name(name)

    def apply(tx: Tx, t: Tree, rec: dict) -> None:
        if path != ROOT:
            _unique_among_siblings(t, path.rsplit(".", 1)[0], name, except_path=path)
        rec["Name"] = name
    return _change(account, path, apply)


def set_managers(account: str, path: str, user_names: Iterable[str]) -> dict:
    """Replace the department's managers with these bastion users (by UserName); none clears."""
    names = list(dict.fromkeys(user_names))
    if len(names) > MAX_MANAGERS:
        raise ApiError("LimitExceeded", f"A department has at most {MAX_MANAGERS} managers.")

    def apply(tx: Tx, t: Tree, rec: dict) -> None:
        by_name = {u["UserName"]: u["Id"] for u in tx.all("user").values()}
        missing_user = next((n for n in names if n not in by_name), None)
        if missing_user is not None:
            raise not_found(checks.USER, missing_user)
        rec["Managers"] = [by_name[n] for n in names]
    return _change(account, path, apply)


def delete(account: str, path: str) -> None:
    """Delete a department that has no child departments and that no record belongs to
    (ResourceInUse otherwise); the root cannot be deleted."""
    if path == ROOT:
        raise ApiError("UnsupportedOperation", "The root department cannot be deleted.")

    def write(tx: Tx) -> None:
        t = tree(tx)
        t.require(path)
        if t.children(path):
            raise ApiError("ResourceInUse", f"Department `{path}` has child departments; delete them first.")
        for kind in MEMBER_KINDS:
            if any(r.get("DepartmentId") == path for r in tx.all(kind).values()):
                raise ApiError("ResourceInUse", f"Department `{path}` is not empty: some {kind} records belong "
                               "to it; move them to another department first.")
        tx.delete(KIND, _key(path))
    store.transaction(account, write)
