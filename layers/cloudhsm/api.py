"""How a CloudHSM action declares itself: the gateway's `action`, with the error codes of the
CloudHSM API pages.

Each action's error table in the CloudHSM documentation lists `InvalidParameter` for a parameter
the service refuses, and none lists `InvalidParameterValue`: a CloudHSM action answers
`InvalidParameter` both for a wrong type and for a value out of range (the message still says
which parameter and why). `MissingParameter`, `UnknownParameter` and the other common codes stay.

    class Input(HsmParams): ...

    @hsm_action("DescribeVsms", Input, signature_only=True)
    def handle(p: Input, ctx: RequestContext) -> dict: ...
"""
from functools import wraps
from typing import Any, Callable

from pydantic import ValidationError

from layers.gateway.action import action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, to_api_error


def _as_documented(err: ApiError) -> ApiError:
    if err.code == "InvalidParameterValue":
        return ApiError("InvalidParameter", err.message)
    return err


class HsmParams(Params):
    """Base of a CloudHSM action's input: refused values answer InvalidParameter."""

    @classmethod
    def model_validate(cls, obj: Any, *args, **kwargs):
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise _as_documented(to_api_error(exc)) from None


class HsmNoParams(HsmParams):
    pass


def hsm_action(name: str, input: type, **options) -> Callable:
    if not issubclass(input, HsmParams):
        raise TypeError(f"{name}: a CloudHSM input derives from HsmParams")

    def wrap(fn: Callable):
        @wraps(fn)
        def handler(params, ctx):
            try:
                return fn(params, ctx)
            except ApiError as err:
                raise _as_documented(err) from None
        return action(name, input, **options)(handler)
    return wrap
