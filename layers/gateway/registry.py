"""Services, versions and actions, found from the layout of functions/.

functions/<service>/__init__.py declares SERVICE, VERSIONS, ALIASES and HOST; an action
`DescribeVsms` of that service lives in functions/<service>/describe_vsms.py. Adding an
action is adding that one file.
"""
import importlib
import importlib.util
import pkgutil
import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import functions
from layers.gateway.action import ActionSpec

_ACTION_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,79}$")


@dataclass(frozen=True)
class Service:
    name: str
    versions: Tuple[str, ...]
    aliases: Tuple[str, ...]
    host: str
    package: str


SERVICES: Dict[str, Service] = {}
_BY_NAME: Dict[str, Service] = {}
_BY_VERSION: Dict[str, Tuple[Service, ...]] = {}
_actions: Dict[Tuple[str, str], ActionSpec] = {}


def register_package(dotted: str) -> Service:
    """Add the service a package declares (functions/<service>/ at import; tests add their own)."""
    module = importlib.import_module(dotted)
    svc = Service(module.SERVICE, tuple(module.VERSIONS), tuple(getattr(module, "ALIASES", ())),
                  getattr(module, "HOST", f"{module.SERVICE}.tencentcloudapi.com"), module.__name__)
    SERVICES[svc.name] = svc
    for name in (svc.name, *svc.aliases):
        _BY_NAME[name] = svc
    for version in svc.versions:
        _BY_VERSION[version] = tuple(s for s in _BY_VERSION.get(version, ()) if s.name != svc.name) + (svc,)
    return svc


for _info in pkgutil.iter_modules(functions.__path__):
    if _info.ispkg and hasattr(importlib.import_module(f"functions.{_info.name}"), "SERVICE"):
        register_package(f"functions.{_info.name}")   # functions/events holds triggers, not a service


def service_named(name: str) -> Optional[Service]:
    return _BY_NAME.get(name.lower()) if name else None


def services_for_version(version: str) -> Tuple[Service, ...]:
    return _BY_VERSION.get(version, ())


def module_name(action_name: str) -> str:
    """DescribeHSMBySubnetId -> describe_hsm_by_subnet_id; LookUpEvents -> look_up_events."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", action_name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def find_action(service: Service, action_name: str) -> Optional[ActionSpec]:
    key = (service.name, action_name)
    spec = _actions.get(key)
    if spec is not None:
        return spec
    if not _ACTION_NAME.match(action_name):
        return None
    dotted = f"{service.package}.{module_name(action_name)}"
    if importlib.util.find_spec(dotted) is None:
        return None
    module = importlib.import_module(dotted)
    specs = [v for v in vars(module).values() if isinstance(v, ActionSpec)]
    if len(specs) != 1 or specs[0].name != action_name:
        return None  # e.g. a case variant of a real action name
    _actions[key] = specs[0]
    return specs[0]


def all_actions(service: Service):
    """Every action of a service (imports each module; for docs and tests)."""
    pkg = importlib.import_module(service.package)
    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{service.package}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, ActionSpec):
                yield value
