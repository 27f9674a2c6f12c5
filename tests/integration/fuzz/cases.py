"""The deterministic list of requests for each service.

Every parameter of every action (nested fields and list elements included) gets PER_PARAM
mutation kinds, taken in turn from the action's own shuffled list of kinds, and the list goes
on past the last parameter until every kind has been used on the action at least once. Styles
rotate the same way. Requests that no single parameter describes (a 1.1 MB string, wrong
signatures, broken multipart parts, a form body with %ff, odd v1 Nonce and Timestamp values,
no action at all) are added per action or per service."""
import functools
import random
import re
from dataclasses import dataclass
from typing import Any, List, Optional

from layers.gateway import registry
from layers.gateway.action import ActionSpec

from . import mutations, shapes, wire

SEED = 20240501
PER_PARAM = 4
# Most requests are TC3 JSON, as the SDKs send them; every style comes round on every action.
STYLE_CYCLE = (wire.TC3_JSON, wire.TC3_GET, wire.TC3_JSON, wire.TC3_MULTIPART, wire.TC3_JSON,
               wire.V1_GET, wire.TC3_JSON, wire.V1_POST)
V1_SPECIALS = ("form-%ff", "nonce-arabic-indic", "nonce-superscript", "nonce-5000-digits",
               "timestamp-arabic-indic", "timestamp-5000-digits")
EXTRA = "FuzzExtra"     # the parameter that carries a value to an action that declares none
SECRET = re.compile(r"password|passwd|secret|private|passphrase|plaintext|token|keymaterial|credential|signature",
                    re.IGNORECASE)


@dataclass
class Case:
    service: str
    action: str
    version: str
    param: str                    # the parameter's path, for the report
    mutation: str
    style: str
    params: Any = None            # the whole parameter tree sent
    special: bool = False         # built by wire.special, not from params alone
    target: str = ""              # the top-level parameter a special request changes
    scope: str = ""               # TC3 credential-scope service, when not the service's own name
    expect_events: Optional[int] = 1   # None: at most one (the body naming the action is unreadable)
    wrong_signature: bool = False

    def describe(self) -> str:
        return f"{self.service}:{self.action} param={self.param} mutation={self.mutation} style={self.style}"


def version_of(spec: ActionSpec, svc: registry.Service) -> str:
    return (spec.versions or svc.versions)[0]


def _first(shape: shapes.Shape) -> tuple:
    """The first parameter's path, or the undeclared EXTRA."""
    return next((p for p, _ in shapes.paths(shape)), (EXTRA,))


def _huge_target(shape: shapes.Shape, spec: ActionSpec) -> tuple:
    """A string parameter the audit event keeps as it is (secrets are redacted to a few bytes),
    else the undeclared EXTRA, which the event also keeps."""
    return next((p for p, s in shapes.paths(shape) if s.kind == "str" and not any(
        SECRET.search(str(step)) or step in spec.secret_params for step in p)), (EXTRA,))


def _set(model, path: tuple, mutate) -> dict:
    if path == (EXTRA,):
        params = shapes.repair(model, shapes.baseline(shapes.model_shape(model)))
        mutate(params, path[0])
        return params
    return shapes.place(model, path, mutate)


def parameter_cases(svc: registry.Service, spec: ActionSpec, make) -> List[Case]:
    rng = random.Random(f"{SEED}:{svc.name}:{spec.name}")
    shape = shapes.model_shape(spec.input)
    kinds = list(mutations.KINDS)
    rng.shuffle(kinds)
    style_offset = rng.randrange(len(STYLE_CYCLE))
    ps = [p for p, _ in shapes.paths(shape)] or [(EXTRA,)]
    total = max(len(ps) * PER_PARAM, len(kinds))
    out = []
    for i in range(total):
        path = ps[i // PER_PARAM] if i < len(ps) * PER_PARAM else ps[i % len(ps)]
        kind = kinds[i % len(kinds)]
        style = STYLE_CYCLE[(i + style_offset) % len(STYLE_CYCLE)]
        if kind == mutations.LONE_SURROGATE and style in wire.FLAT:
            style = wire.TC3_MULTIPART   # a decoded query or form never holds one
        params = _set(spec.input, path, mutations.mutator(kind))
        out.append(make(param=shapes.label(path), mutation=kind, style=style, params=params))
    return out


def special_cases(svc: registry.Service, spec: ActionSpec, index: int, make) -> List[Case]:
    shape = shapes.model_shape(spec.input)
    base = shapes.repair(spec.input, shapes.baseline(shape))
    huge_path = _huge_target(shape, spec)
    top = _first(shape)[0]
    v1_style = wire.V1_POST if index % 2 else wire.V1_GET
    out = [
        make(param=shapes.label(huge_path), mutation="string-1.1MB", style=wire.TC3_JSON,
             params=_set(spec.input, huge_path, mutations.replace(mutations.HUGE_STRING))),
        make(param="-", mutation="wrong-signature", style=wire.TC3_JSON, params=base, special=True,
             wrong_signature=True),
        make(param="-", mutation="wrong-signature", style=v1_style, params=base, special=True,
             wrong_signature=True),
        make(param=top, mutation="multipart-not-json", style=wire.TC3_MULTIPART, params=base,
             special=True, target=top),
        make(param=top, mutation="multipart-deep-5000", style=wire.TC3_MULTIPART, params=base,
             special=True, target=top),
    ]
    for kind in V1_SPECIALS:
        style = wire.V1_POST if kind == "form-%ff" else v1_style
        out.append(make(param=top if kind == "form-%ff" else "-", mutation=kind, style=style, params=base,
                        special=True, target=top, expect_events=None if kind == "form-%ff" else 1))
    return out


def for_service(name: str) -> List[Case]:
    svc = registry.SERVICES[name]
    specs = sorted(registry.all_actions(svc), key=lambda s: s.name)
    out: List[Case] = []
    for index, spec in enumerate(specs):
        make = functools.partial(Case, service=svc.name, action=spec.name, version=version_of(spec, svc))
        out += parameter_cases(svc, spec, make) + special_cases(svc, spec, index, make)
    if "dasb" in svc.aliases:
        for case in out[1::2]:
            case.scope = "dasb"     # the SDK's and tccli's name for bhsaas
    first = specs[0]
    for kind, style in (("no-action-tc3", wire.TC3_JSON), ("no-action-v1", wire.V1_GET)):
        out.append(Case(service=svc.name, action=first.name, version=version_of(first, svc), param="-",
                        mutation=kind, style=style, params={}, special=True, expect_events=0))
    return out
