"""Checks SignByAsymmetricKey and VerifyByAsymmetricKey share."""
from layers.gateway.errors import invalid_value
from layers.kms import keys, usages
from layers.kms.params import b64decode

MAX_RAW = 4096


def message_bytes(text: str, digest: bool) -> bytes:
    message = b64decode("Message", text)
    if digest and len(message) != usages.DIGEST_SIZE:
        raise invalid_value("Message", f"a DIGEST must be {usages.DIGEST_SIZE} bytes before base64 encoding")
    if not digest and not 1 <= len(message) <= MAX_RAW:
        raise invalid_value("Message", f"a RAW message must be 1 to {MAX_RAW} bytes before base64 encoding")
    return message


def check_algorithm(key: keys.Key, algorithm: str) -> None:
    allowed = key.usage.sign_algorithms
    if algorithm not in allowed:
        raise invalid_value("Algorithm", f"CMK `{key.key_id}` ({key.usage.name}) signs with "
                            f"{' or '.join(allowed)}")
