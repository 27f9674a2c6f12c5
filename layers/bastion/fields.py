"""Parameter types with the bastion documentation's rules, for action Input models.

A rule broken is InvalidParameterValue naming the parameter (the gateway maps the ValueError)."""
import base64
import binascii
import ipaddress
import re
from typing import Annotated, List, Optional

from pydantic import AfterValidator, Field

from layers.bastion import times
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Params, String, Uint64

_USER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{2,19}$")
_MAINLAND_PHONE = re.compile(r"^1[0-9]{10}$")
_INTL_PHONE = re.compile(r"^\+[0-9]{1,4}[ |][0-9]{4,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DEPARTMENT = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_BLANK = re.compile(r"\s")


def _user_name(v: str) -> str:
    if not _USER_NAME.fullmatch(v):
        raise ValueError("3-20 characters, starting with a letter, of letters, digits, `.`, `_` and `-`")
    return v


def _no_blank(limit: int):
    def check(v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        if len(v) > limit:
            raise ValueError(f"must be at most {limit} characters")
        if _BLANK.search(v):
            raise ValueError("must not contain blank characters")
        return v
    return check


def _phone(v: str) -> str:
    if not (_MAINLAND_PHONE.fullmatch(v) or _INTL_PHONE.fullmatch(v)):
        raise ValueError("a mainland mobile number (11 digits) or `+<country code> <number>`, e.g. `+852 61234567`")
    return v


def _email(v: str) -> str:
    if v and (len(v) > 128 or not _EMAIL.fullmatch(v)):
        raise ValueError("not an e-mail address")
    return v


def _week_mask(v: str) -> str:
    if len(v) != 168 or set(v) - {"0", "1"}:
        raise ValueError("168 characters of 0 and 1, one per hour of the week")
    return v


def _department(v: str) -> str:
    if len(v) > 128 or not _DEPARTMENT.fullmatch(v):
        raise ValueError("a department id such as `1.2.3`")
    return v


def _domain(v: str) -> str:
    if len(v) > 64 or not re.fullmatch(r"[A-Za-z0-9_.-]*", v):
        raise ValueError("a network domain id of at most 64 letters, digits, `_`, `.` and `-`")
    return v


def _ip(v: str) -> str:
    """An IP address in its canonical spelling (so 2001:DB8::1 and 2001:db8::1 are one address)."""
    try:
        return str(ipaddress.ip_address(v))
    except ValueError:
        raise ValueError("not an IP address") from None


def _ip_port(v: str) -> str:
    """`ip:port` (IPv6 as `[addr]:port`) in its canonical spelling."""
    host, sep, port = v.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        addr = ipaddress.ip_address(host)
        if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError
    except ValueError:
        raise ValueError("an `ip:port` address such as `10.0.0.2:3306` (IPv6: `[2001:db8::2]:3306`)") from None
    return f"[{addr}]:{int(port)}" if addr.version == 6 else f"{addr}:{int(port)}"


def _optional_datetime(v: str) -> str:
    v = v.strip()
    if v:
        try:
            times.parse(v)
        except ValueError:
            raise ValueError("not an ISO 8601 datetime, e.g. 2021-09-22T00:00:00+08:00") from None
    return v


def _unique_ids(v: List[int]) -> List[int]:
    return list(dict.fromkeys(v))


UserName = Annotated[str, AfterValidator(_user_name)]
RealName = Annotated[str, AfterValidator(_no_blank(20))]
Name32 = Annotated[str, AfterValidator(_no_blank(32))]
AccountName = Annotated[str, AfterValidator(_no_blank(64))]
Phone = Annotated[str, AfterValidator(_phone)]
Email = Annotated[str, AfterValidator(_email)]
WeekMask = Annotated[str, AfterValidator(_week_mask)]
DepartmentId = Annotated[str, AfterValidator(_department)]
DomainId = Annotated[str, AfterValidator(_domain)]   # "" clears
IpAddress = Annotated[str, AfterValidator(_ip)]
IpPort = Annotated[str, AfterValidator(_ip_port)]
SearchName = Annotated[str, Field(max_length=64)]
# ValidateFrom / ValidateTo: an ISO datetime, or "" for no bound.
Bound = Annotated[str, AfterValidator(_optional_datetime)]
Port = Annotated[int, Field(ge=1, le=65535)]
# Id arrays: duplicates collapse; at most 1000 per request.
IdSet = Annotated[List[Uint64], Field(max_length=1000), AfterValidator(_unique_ids)]
RequiredIdSet = Annotated[List[Uint64], Field(min_length=1, max_length=1000), AfterValidator(_unique_ids)]


def phone_key(phone: str) -> str:
    """The comparable form of a phone number: `+852|6123` and `+852 6123` are the same number."""
    return phone.replace("|", " ").strip()


def check_window(start: Optional[str], end: Optional[str], end_name: str = "ValidateTo") -> None:
    if start and end and times.parse(start) > times.parse(end):
        raise invalid_value(end_name, "must not be earlier than the start time")


def choice(*allowed: int):
    """A Uint64 restricted to the given values (works for JSON numbers and query strings alike)."""
    def check(v: int) -> int:
        if v not in allowed:
            raise ValueError("must be one of " + ", ".join(str(a) for a in allowed))
        return v
    return Annotated[Uint64, AfterValidator(check)]


AuthType = choice(0, 1, 2)
Kind = choice(1, 2, 3, 4)
AuditAction = choice(1, 2)


MAX_CMD_LIST_BYTES = 32768


def base64_text(text: str, name: str) -> str:
    """The UTF-8 text a parameter sent with Encoding=1 carries as base64."""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_value(name, "not base64 of UTF-8 text (Encoding=1)") from None


def cmd_list(text: str, encoding: int, name: str = "CmdList") -> str:
    """A command list as stored: base64-decoded when Encoding=1, at most 32768 bytes."""
    if encoding == 1:
        text = base64_text(text, name)
    if not text.strip():
        raise invalid_value(name, "must list at least one command")
    if len(text.encode("utf-8")) > MAX_CMD_LIST_BYTES:
        raise invalid_value(name, f"must be at most {MAX_CMD_LIST_BYTES} bytes")
    return text


class TagFilter(Params):
    TagKey: String
    TagValue: Optional[List[String]] = None
