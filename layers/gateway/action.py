"""What an action module declares, and the context its handler receives.

    @action("DescribeVsms", Input, signature_only=True)
    def handle(params: Input, ctx: RequestContext) -> dict: ...

A handler gets validated parameters and returns the response fields (without RequestId);
it raises ApiError for the API's errors. Nothing about signatures, envelopes or clients.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Tuple, Type

from layers.gateway.schema import Params

REGION_REQUIRED = "required"    # missing -> MissingParameter; unknown -> UnsupportedRegion
REGION_OPTIONAL = "optional"    # unknown -> UnsupportedRegion
REGION_IGNORED = "ignored"      # "本接口不需要传递此参数": whatever is sent has no effect

_READ_PREFIXES = ("Describe", "Lookup", "LookUp", "List", "Get", "Search", "Inquiry", "Inquire", "Query")


@dataclass
class ActionSpec:
    name: str
    input: Type[Params]
    handler: Callable[[Any, "RequestContext"], dict]
    signature_only: bool = False          # "只验签名不鉴权": no policy check
    region: str = REGION_REQUIRED
    versions: Optional[Tuple[str, ...]] = None   # None: every version of the service
    rate_limit: Optional[int] = None      # requests/s per account; None: the default (20)
    read_only: Optional[bool] = None      # None: derived from the name
    resource_type: str = ""
    secret_params: Tuple[str, ...] = ()   # redacted in audit events, besides the usual names

    @property
    def is_read_only(self) -> bool:
        if self.read_only is not None:
            return self.read_only
        return self.name.startswith(_READ_PREFIXES)


def action(name: str, input: Type[Params], **options) -> Callable:
    def wrap(fn: Callable) -> ActionSpec:
        return ActionSpec(name=name, input=input, handler=fn, **options)
    return wrap


@dataclass
class RequestContext:
    request_id: str
    service: str
    version: str
    action: str
    region: str
    account: str = ""          # OwnerUin of the calling account
    app_id: str = ""
    uin: str = ""              # the calling user
    secret_id: str = ""
    operator: bool = False     # an operator credential (may look across accounts where allowed)
    authenticated: bool = False  # the signature (and token, nonce) proved the caller; until then uin is ""
    temporary: bool = False    # the caller signed with a temporary key (and its token)
    bastion_user: str = ""     # a console sign-in's temporary key: the bastion user it names
    source_ip: str = ""
    user_agent: str = ""
    language: str = "zh-CN"
    # Handlers may name the resource they acted on; it goes into the audit event.
    resource_type: str = ""
    resource_names: list = field(default_factory=list)

    def touched(self, *names: str, resource_type: str = "") -> None:
        self.resource_names.extend(n for n in names if n)
        if resource_type:
            self.resource_type = resource_type
