"""Which AWS calls each deployed function makes, found by reading the code, and its IAM policy.

Static, not recorded: the scan reads every module a function's entry point imports (transitively,
imports inside functions included) within layers/ and functions/, and follows boto3 clients from
where they are made (`aws.client("svc", ...)`) to where they are used:

- a client made and called at once: `aws.client("s3").put_object(...)`;
- kept in a name, a tuple element, `x or aws.client(...)`, or `self.<attr>`, then called;
- returned by a helper (`def _ddb(): return aws.client("dynamodb")`) in any scanned module;
- passed to another scanned function (by position or keyword): that parameter is then a client;
- a factory `def f(service, region): return aws.client(service, ...)`, called with a literal
  service, also when it is a parameter's default (layers/bastion/inventory.py);
- `get_paginator("op")` and `generate_presigned_url("op")` (an operation name, also a literal passed
  to the enclosing function's parameter at its call sites in the scanned code).

Every operation found is checked against botocore's model of the service. A client made where the
scan cannot follow it (passed to something outside the scanned code, stored elsewhere) is an error,
not a silent gap: `unfollowed()` lists such places and the test fails on any.

Why static rather than recording calls while the tests run: a recording sees only the paths the
tests take (an error branch, a schedule the tests never fire, a retry), and would have to run the
suite; the scan sees every call in the code a function can reach, at the price of module
granularity (a function is held to every call of every module it imports).

The table (infra/aws_calls.json) is this scan joined with RESOURCES (which resource each module's
calls of a service reach); the policies in .chalice/policy-<function>.json and
infra/policy-gateway-task.json are made from the table. `python -m infra.aws_calls` rewrites all three;
tests/unit/test_aws_calls.py fails if any of them differs from what the code says.
"""
import ast
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "infra" / "aws_calls.json"
CHALICE = ROOT / ".chalice"
GATEWAY_POLICY = ROOT / "infra" / "policy-gateway-task.json"
PREFIX = "guardzone"          # GZ_RESOURCE_PREFIX of the deployed stage (.chalice/config.json)

# Deployed units and the modules their code starts from: every Chalice function (the API handler is
# "api_handler"; an event function has the name its decorator gives; functions of one module share its
# code, so its calls) and the bastion gateway's Fargate task.
API_ROOTS = ["layers.gateway.http", "layers.gateway.registry", "functions.web.bastion_oauth",
             "functions.web.console_signin", "functions.sts",
             "functions.bhsaas", "functions.cloudaudit", "functions.cloudhsm", "functions.kms"]
UNITS: Dict[str, List[str]] = {
    "api_handler": API_ROOTS,
    "audit_outbox": ["functions.events.audit_outbox"],
    "audit_indexer": ["functions.events.audit_indexer"],
    "audit_export": ["functions.events.audit_export"],
    "audit_retention": ["functions.events.audit_retention"],
    "audit_track_delivery": ["functions.events.audit_track_delivery"],
    "audit_track_retry": ["functions.events.audit_track_delivery"],
    "audit_track_digest": ["functions.events.audit_track_delivery"],
    "bastion_asset_sync": ["functions.events.bastion_asset_sync"],
    "bastion_asset_sync_job": ["functions.events.bastion_asset_sync"],
    "bastion_pwd_rotation": ["functions.events.bastion_pwd_rotation"],
    "bastion_session_log": ["functions.events.bastion_session_log"],
    "kms_key_maintenance": ["functions.events.kms_key_maintenance"],
    "gateway_task": ["infra.ssh_gateway"],
}
# A package named as a root brings every module in it (the API registry imports action modules by name).
_PACKAGE_ROOTS = {"functions.bhsaas", "functions.cloudaudit", "functions.cloudhsm", "functions.kms"}
_SCANNED = ("layers", "functions")
_CLIENT_FUNCS = {("layers.aws", "client")}
_NOT_OPERATIONS = {"get_paginator", "generate_presigned_url", "can_paginate", "get_waiter", "close"}


def _file(module: str) -> Optional[Path]:
    base = ROOT / module.replace(".", "/")
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.exists():
            return p
    return None


@lru_cache(maxsize=None)
def _tree(module: str) -> ast.Module:
    return ast.parse(_file(module).read_text("utf-8"), filename=str(_file(module)))


def _is_package(module: str) -> bool:
    return _file(module).name == "__init__.py"


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".") if _is_package(module) else module.split(".")[:-1]
    parts = parts[:len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _bindings(module: str) -> Dict[str, str]:
    """Names imported anywhere in the module -> dotted target (a module, or module.attr)."""
    out: Dict[str, str] = {}
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            for a in node.names:
                out[a.asname or a.name] = f"{base}.{a.name}"
    return out


@lru_cache(maxsize=None)
def _imports(module: str) -> FrozenSet[str]:
    found: Set[str] = set()
    for node in ast.walk(_tree(module)):
        names: List[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] not in _SCANNED:
                continue
            for i in range(1, len(parts) + 1):
                if _file(".".join(parts[:i])):
                    found.add(".".join(parts[:i]))
    return frozenset(found)


def _package_modules(package: str) -> List[str]:
    folder = ROOT / package.replace(".", "/")
    return [package] + sorted(f"{package}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__")


def modules_of(unit: str) -> List[str]:
    """Every scanned module the unit's code imports, transitively."""
    todo = []
    for root in UNITS[unit]:
        todo.extend(_package_modules(root) if root in _PACKAGE_ROOTS else [root])
    seen: Set[str] = set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(_imports(m))
    return sorted(m for m in seen if m.split(".")[0] in _SCANNED or m in UNITS[unit])


# ---------------------------------------------------------------- client flow, over all of layers/functions

class _Scope:
    """A function (or the module body): which local names hold clients of which services."""

    def __init__(self, module: str, node, cls: Optional[str]):
        self.module, self.node, self.cls = module, node, cls
        self.names: Dict[str, Set[str]] = {}
        self.factories: Set[str] = set()     # names of parameters that are client factories
        self.funcs: Dict[str, Set[str]] = {}  # local names bound to scanned functions


class _Scan:
    def __init__(self, modules: Iterable[str]):
        self.modules = sorted(modules)
        self.binds = {m: _bindings(m) for m in self.modules}
        # function key "module.qualname" -> def node, its class (for self attrs), its module
        self.defs: Dict[str, Tuple[str, ast.AST, Optional[str]]] = {}
        for m in self.modules:
            for node in _tree(m).body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.defs[f"{m}.{node.name}"] = (m, node, None)
                elif isinstance(node, ast.ClassDef):
                    for sub in node.body:
                        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            self.defs[f"{m}.{node.name}.{sub.name}"] = (m, sub, node.name)
        self.returns: Dict[str, Set[str]] = {}          # function -> services of the clients it returns
        self.factory: Set[str] = set()                   # functions returning aws.client(<their 1st param>)
        self.params: Dict[Tuple[str, str], Set[str]] = {}   # (function, param) -> services
        self.str_params: Dict[Tuple[str, str], Set[str]] = {}  # (function, param) -> literal strings passed
        self.attrs: Dict[Tuple[str, str, str], Set[str]] = {}  # (module, class, attr) -> services
        self.factory_params: Set[Tuple[str, str]] = set()     # (function, param) given a factory
        self.calls: Dict[str, Set[Tuple[str, str]]] = {m: set() for m in self.modules}
        self.unfollowed: List[str] = []
        self.unknown_ops: List[str] = []

    # -- resolving names
    def _resolve(self, module: str, scope: Optional[_Scope], func: ast.AST) -> Optional[str]:
        """The dotted name of a called function, if it is one of the scanned functions or aws.client."""
        if isinstance(func, ast.Name):
            if f"{module}.{func.id}" in self.defs:
                return f"{module}.{func.id}"
            return self.binds[module].get(func.id)
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name):
                if func.value.id == "self" and scope and scope.cls:
                    return f"{module}.{scope.cls}.{func.attr}"
                target = self.binds[module].get(func.value.id)
                if target:
                    return f"{target}.{func.attr}"
        return None

    def _services(self, module: str, scope: _Scope, expr: ast.AST) -> Set[str]:
        """The services of the client(s) an expression may evaluate to."""
        if isinstance(expr, ast.Call):
            target = self._resolve(module, scope, expr.func)
            if target and tuple(target.rsplit(".", 1)) in _CLIENT_FUNCS:
                first = expr.args[0] if expr.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    return {first.value}
                return set()           # aws.client(<variable>): a factory, handled at its call sites
            if self._is_factory(module, scope, expr.func):
                first = expr.args[0] if expr.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    return {first.value}
                return set()
            if target in self.returns:
                return set(self.returns[target])
            return set()
        if isinstance(expr, ast.Name):
            return set(scope.names.get(expr.id, ()))
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self" \
                and scope.cls:
            return set(self.attrs.get((module, scope.cls, expr.attr), ()))
        if isinstance(expr, ast.BoolOp):
            return set().union(*(self._services(module, scope, v) for v in expr.values))
        if isinstance(expr, ast.IfExp):
            return self._services(module, scope, expr.body) | self._services(module, scope, expr.orelse)
        return set()

    # -- one pass over a function body: names, returns, argument flow
    def _pass(self, key: Optional[str], module: str, node, cls: Optional[str], record: bool) -> bool:
        scope = _Scope(module, node, cls)
        changed = False
        body_nodes = list(ast.walk(node)) if key else [n for top in _tree(module).body
                                                        if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                                ast.ClassDef))
                                                        for n in ast.walk(top)]
        if key:
            args = node.args
            every = args.posonlyargs + args.args + args.kwonlyargs
            for a in every:
                got = self.params.get((key, a.arg))
                if got:
                    scope.names[a.arg] = set(got)
            defaults = list(zip(reversed(args.args), reversed(args.defaults))) + \
                [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            for a, d in defaults:
                if self._is_factory(module, scope, d):
                    scope.factories.add(a.arg)
            scope.factories.update(p for (k, p) in self.factory_params if k == key)
        for _ in range(3):          # names assigned from names: settle within the body
            for n in body_nodes:
                if isinstance(n, ast.Assign):
                    for target in n.targets:
                        self._bind(module, scope, target, n.value)
                elif isinstance(n, (ast.AnnAssign, ast.AugAssign)) and n.value is not None:
                    self._bind(module, scope, n.target, n.value)
                elif isinstance(n, ast.NamedExpr):
                    self._bind(module, scope, n.target, n.value)
                elif isinstance(n, ast.withitem) and n.optional_vars is not None:
                    self._bind(module, scope, n.optional_vars, n.context_expr)
        for n in body_nodes:
            if key and isinstance(n, ast.Return) and n.value is not None:
                got = self._services(module, scope, n.value)
                if got - self.returns.get(key, set()):
                    self.returns.setdefault(key, set()).update(got)
                    changed = True
                if isinstance(n.value, ast.Call):
                    target = self._resolve(module, scope, n.value.func)
                    params = [a.arg for a in node.args.args]
                    if target and tuple(target.rsplit(".", 1)) in _CLIENT_FUNCS and n.value.args \
                            and isinstance(n.value.args[0], ast.Name) and n.value.args[0].id in params \
                            and key not in self.factory:
                        self.factory.add(key)
                        changed = True
            if isinstance(n, ast.Call):
                changed |= self._flow_args(module, scope, n)
                if record:
                    self._record(module, scope, n)
        if record:
            self._check_followed(module, scope, body_nodes)
        return changed

    def _bind(self, module: str, scope: _Scope, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts):
                self._bind(module, scope, t, v)
            return
        if isinstance(target, ast.Name):
            funcs = self._functions(module, scope, value)
            if funcs:
                scope.funcs.setdefault(target.id, set()).update(funcs)
        got = self._services(module, scope, value)
        if not got:
            return
        if isinstance(target, ast.Name):
            scope.names.setdefault(target.id, set()).update(got)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                and target.value.id == "self" and scope.cls:
            self.attrs.setdefault((module, scope.cls, target.attr), set()).update(got)
        elif isinstance(target, ast.Subscript):
            pass      # a cache of clients keyed by something: reading it back is not followed
        else:
            self.unfollowed.append(f"{module}:{target.lineno}: client bound to {ast.dump(target)[:60]}")

    def _functions(self, module: str, scope: _Scope, expr: ast.AST) -> Set[str]:
        """The scanned functions an expression names (a class: its __init__)."""
        if isinstance(expr, ast.Name) and expr.id in scope.funcs:
            return set(scope.funcs[expr.id])
        if isinstance(expr, ast.IfExp):
            return self._functions(module, scope, expr.body) | self._functions(module, scope, expr.orelse)
        if isinstance(expr, (ast.Tuple, ast.List)):
            return set().union(set(), *(self._functions(module, scope, e) for e in expr.elts))
        target = self._resolve(module, scope, expr) if isinstance(expr, (ast.Name, ast.Attribute)) else None
        if isinstance(expr, ast.Name) and f"{module}.{expr.id}.__init__" in self.defs:
            return {f"{module}.{expr.id}.__init__"}
        if target in self.defs:
            return {target}
        if target and f"{target}.__init__" in self.defs:
            return {f"{target}.__init__"}
        return set()

    def _callees(self, module: str, scope: _Scope, call: ast.Call) -> Set[str]:
        return self._functions(module, scope, call.func)

    def _callee(self, module: str, scope: _Scope, call: ast.Call) -> Optional[str]:
        return next(iter(sorted(self._callees(module, scope, call))), None)

    def _is_factory(self, module: str, scope: _Scope, expr: ast.AST) -> bool:
        if isinstance(expr, ast.Name) and expr.id in scope.factories:
            return True
        return bool(self._functions(module, scope, expr) & self.factory)

    def _flow_args(self, module: str, scope: _Scope, call: ast.Call) -> bool:
        changed = False
        for callee in sorted(self._callees(module, scope, call)):
            changed |= self._flow_to(module, scope, call, callee)
        return changed

    def _flow_to(self, module: str, scope: _Scope, call: ast.Call, callee: str) -> bool:
        _, fnode, cls = self.defs[callee]
        params = [a.arg for a in fnode.args.posonlyargs + fnode.args.args]
        if cls and params and params[0] in ("self", "cls"):
            params = params[1:]
        pairs = list(zip(params, call.args)) + [(k.arg, k.value) for k in call.keywords if k.arg]
        changed = False
        for name, value in pairs:
            if self._is_factory(module, scope, value) and (callee, name) not in self.factory_params:
                self.factory_params.add((callee, name))
                changed = True
            got = self._services(module, scope, value)
            if got - self.params.get((callee, name), set()):
                self.params.setdefault((callee, name), set()).update(got)
                changed = True
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and \
                    value.value not in self.str_params.get((callee, name), set()):
                self.str_params.setdefault((callee, name), set()).add(value.value)
                changed = True
        return changed

    def _op_names(self, module: str, scope: _Scope, arg: Optional[ast.AST]) -> Set[str]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return {arg.value}
        if isinstance(arg, ast.Name) and scope.node is not None:
            key = next((k for k, v in self.defs.items() if v[1] is scope.node), None)
            got = self.str_params.get((key, arg.id), set()) if key else set()
            if got:
                return set(got)
        self.unfollowed.append(f"{module}:{getattr(arg, 'lineno', '?')}: operation name not a literal")
        return set()

    def _record(self, module: str, scope: _Scope, call: ast.Call) -> None:
        if not isinstance(call.func, ast.Attribute):
            return
        services = self._services(module, scope, call.func.value)
        if not services:
            return
        method = call.func.attr
        if method in ("get_paginator", "generate_presigned_url"):
            named = [k.value for k in call.keywords if k.arg in ("operation_name", "ClientMethod")]
            ops = self._op_names(module, scope, call.args[0] if call.args else (named[0] if named else None))
        elif method in _NOT_OPERATIONS:
            return
        else:
            ops = {method}
        for svc in services:
            for op in ops:
                if op not in operations(svc):
                    self.unknown_ops.append(f"{module}:{call.lineno}: {svc}.{op} is no operation of {svc}")
                self.calls[module].add((svc, op))

    def _check_followed(self, module: str, scope: _Scope, body_nodes) -> None:
        """Every client made here is called, named, returned or passed to a scanned function."""
        parents: Dict[int, ast.AST] = {}
        for n in body_nodes:
            for child in ast.iter_child_nodes(n):
                parents[id(child)] = n
        for n in body_nodes:
            if not (isinstance(n, ast.Call) and self._services(module, scope, n)):
                continue
            up = parents.get(id(n))
            while isinstance(up, (ast.BoolOp, ast.IfExp, ast.Tuple)):
                up = parents.get(id(up))
            ok = isinstance(up, (ast.Attribute, ast.Assign, ast.Return, ast.withitem, ast.NamedExpr,
                                 ast.AnnAssign))
            if isinstance(up, ast.Call) and n is not up.func:
                ok = self._callee(module, scope, up) is not None
            if isinstance(up, ast.keyword):
                outer = parents.get(id(up))
                ok = isinstance(outer, ast.Call) and self._callee(module, scope, outer) is not None
            if not ok:
                self.unfollowed.append(f"{module}:{n.lineno}: client used where the scan cannot follow it")

    def run(self) -> "_Scan":
        for _ in range(12):
            changed = False
            for key, (m, node, cls) in self.defs.items():
                changed |= self._pass(key, m, node, cls, record=False)
            for m in self.modules:
                changed |= self._pass(None, m, _tree(m), None, record=False)
            if not changed:
                break
        for key, (m, node, cls) in self.defs.items():
            self._pass(key, m, node, cls, record=True)
        for m in self.modules:
            self._pass(None, m, _tree(m), None, record=True)
        self.unfollowed = sorted(set(self.unfollowed))
        self.unknown_ops = sorted(set(self.unknown_ops))
        return self


@lru_cache(maxsize=None)
def _api_names(service: str) -> Dict[str, str]:
    """snake_case operation -> the API's name, from botocore's model of the service (read once)."""
    import botocore.session
    from botocore import xform_name
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def operations(service: str) -> frozenset:
    return frozenset(_api_names(service))


def _api_name(service: str, op: str) -> str:
    try:
        return _api_names(service)[op]
    except KeyError:
        raise KeyError(f"{service}.{op}") from None


@lru_cache(maxsize=1)
def scan() -> _Scan:
    every: Set[str] = set()
    for unit in UNITS:
        every.update(modules_of(unit))
    return _Scan(every).run()


def calls_of(unit: str) -> Dict[Tuple[str, str], Set[str]]:
    """(service, operation) -> the modules making it, for every call the unit's code can make."""
    s = scan()
    out: Dict[Tuple[str, str], Set[str]] = {}
    for m in modules_of(unit):
        for call in s.calls.get(m, ()):
            out.setdefault(call, set()).add(m)
    return out


if __name__ == "__main__":       # python -m infra.aws_calls: rewrite the table and the policies
    from infra import iam_policies
    iam_policies.write_all()
    print(f"wrote {TABLE.relative_to(ROOT)} and the policies", file=sys.stderr)
