"""Tencent Cloud API errors: a code, a message, raised anywhere and enveloped once."""


class ApiError(Exception):
    """An error the caller sees as {"Error": {"Code", "Message"}}."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code.split(".")[0], code)


DEFAULT_MESSAGES = {
    "AuthFailure": "The provided credentials could not be validated.",
    "FailedOperation": "The operation failed.",
    "InternalError": "An internal error occurred.",
    "InvalidAction": "The requested action does not exist.",
    "InvalidParameter": "A parameter is invalid.",
    "InvalidParameterValue": "A parameter value is invalid.",
    "LimitExceeded": "A quota was exceeded.",
    "MissingParameter": "A required parameter is missing.",
    "NoSuchVersion": "The requested API version does not exist.",
    "RequestLimitExceeded": "The request rate limit was exceeded.",
    "ResourceInUse": "The resource is in use.",
    "ResourceInsufficient": "The resource is insufficient.",
    "ResourceNotFound": "The resource does not exist.",
    "ResourceUnavailable": "The resource is unavailable.",
    "UnauthorizedOperation": "The operation is not authorized.",
    "UnknownParameter": "An unknown parameter was supplied.",
    "UnsupportedOperation": "The operation is not supported.",
    "UnsupportedProtocol": "Only GET and POST requests are supported.",
    "UnsupportedRegion": "The action does not support the region.",
}


def auth(code_suffix: str, message: str) -> ApiError:
    return ApiError(f"AuthFailure.{code_suffix}", message)


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter", f"The parameter `{name}` is required.")


def invalid(name: str, why: str) -> ApiError:
    return ApiError("InvalidParameter", f"The parameter `{name}` is invalid: {why}.")


def invalid_value(name: str, why: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"The value of parameter `{name}` is invalid: {why}.")


def not_found(what: str, ident) -> ApiError:
    return ApiError("ResourceNotFound", f"{what} `{ident}` does not exist.")
