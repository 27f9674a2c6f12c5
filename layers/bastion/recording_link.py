"""Session recordings' object keys, checked to be the account's own, and time-limited links to them
(what `guardzone bastion link` prints and DescribeSessionRecording answers). Apart from
recording_store so that what only hands out links needs s3:GetObject on the recordings alone.

Keys: bastion-recordings/{account}/{YYYY}/{MM}/{DD}/{sid}.cast (UTC day the session started).
"""
import re
from typing import Optional

from layers import aws
from layers.config import settings

PREFIX = "bastion-recordings"
MAX_PRESIGN_SECONDS = 7 * 24 * 3600        # SigV4's limit
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"


def check_name(what: str, value: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(_NAME, value):
        raise ValueError(f"{what} must be 1-128 letters, digits, '_', '.' or '-', not starting with a sign")
    return value


def check_key(account: str, key: str) -> str:
    """The key if it names a recording of `account`; ValueError for any other key (another
    account's, or one that is not a recording's)."""
    check_name("account", account)
    pattern = rf"{PREFIX}/{re.escape(account)}/\d{{4}}/\d{{2}}/\d{{2}}/{_NAME}\.cast"
    if not isinstance(key, str) or not re.fullmatch(pattern, key):
        raise ValueError("the key is not one of this account's session recordings")
    return key


def presigned_url(account: str, key: str, expires: int = 900, *, bucket: Optional[str] = None) -> str:
    check_key(account, key)
    if not 1 <= expires <= MAX_PRESIGN_SECONDS:
        raise ValueError(f"expires must be 1-{MAX_PRESIGN_SECONDS} seconds")
    return aws.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket or settings().recordings_bucket, "Key": key}, ExpiresIn=expires)


def origin(*, bucket: Optional[str] = None) -> str:
    """The scheme://host[:port] the links point at (S3's, or the local stand-in's): what a page that
    fetches them must allow in its Content-Security-Policy connect-src. No request is made."""
    from urllib.parse import urlsplit
    url = aws.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket or settings().recordings_bucket, "Key": f"{PREFIX}/x"}, ExpiresIn=60)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
