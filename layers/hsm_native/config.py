"""The library's configuration file (INI), shared by PKCS#11 and SDF.

Path: $GUARDZONE_PKCS11_CONF, else ~/.guardzone/pkcs11.conf.

    [guardzone]
    endpoint = https://guardzone.example.com     # http://host:port for a local stack
    region = ap-guangzhou
    secret_id = AKID...
    # how the SecretKey is found (one of):
    #   nothing                 the PIN (C_Login) is the SecretKey itself
    #   sealed_secret_key = gz1:...   the SecretKey sealed under the PIN (python -m layers.hsm_native.config seal)
    #   profile = default       tccli's ~/.tccli/default.credential (secretId, secretKey); the PIN is the SecretKey
    slots = hsm-abc12345, hsm-def67890           # optional: the VSMs offered as slots (default: all)

The SecretKey is never written by the library, and the PIN is never stored: a sealed key is
AES-256-GCM under a key scrypt derives from the PIN (n=2^14, r=8, p=1, 16-byte salt).
"""
import base64
import configparser
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

DEFAULT_PATH = "~/.guardzone/pkcs11.conf"
SECTION = "guardzone"


class ConfigError(Exception):
    """The file is missing or wrong."""


class PinRequired(Exception):
    """No usable SecretKey without a PIN."""


class PinIncorrect(Exception):
    """The PIN does not open the sealed key, or is not the profile's SecretKey."""


def path() -> Path:
    return Path(os.path.expanduser(os.environ.get("GUARDZONE_PKCS11_CONF") or DEFAULT_PATH))


@dataclass
class Config:
    path: Path
    endpoint: str
    region: str
    secret_id: str
    sealed_secret_key: str = ""
    profile_secret_key: str = field(default="", repr=False)
    slots: Optional[List[str]] = None
    parser: configparser.ConfigParser = field(default=None, repr=False)

    @property
    def protocol(self) -> str:
        return "http" if self.endpoint.startswith("http://") else "https"

    @property
    def host(self) -> str:
        return self.endpoint.split("://", 1)[-1].rstrip("/")

    @property
    def secret_without_pin(self) -> bool:
        """Whether the library can call the API before any login (a tccli profile)."""
        return bool(self.profile_secret_key)

    def credential(self, pin: Optional[str] = None) -> Tuple[str, str]:
        """(SecretId, SecretKey) for this PIN. Without a PIN only a profile gives one."""
        if pin is None:
            if self.profile_secret_key:
                return self.secret_id, self.profile_secret_key
            raise PinRequired("log in: the PIN gives the SecretKey")
        if self.sealed_secret_key:
            return self.secret_id, unseal(self.sealed_secret_key, pin)
        if self.profile_secret_key and not hmac.compare_digest(pin.encode(), self.profile_secret_key.encode()):
            raise PinIncorrect("the PIN is not the profile's SecretKey")
        if not pin:
            raise PinIncorrect("empty PIN")
        return self.secret_id, pin

    def section(self, name: str) -> dict:
        return dict(self.parser[name]) if self.parser is not None and self.parser.has_section(name) else {}


def load(file: Optional[Path] = None) -> Config:
    file = Path(file) if file else path()
    parser = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    try:
        with open(file, encoding="utf-8") as f:
            parser.read_file(f)
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}") from None
    except configparser.Error as exc:
        raise ConfigError(f"{file}: {exc}") from None
    if not parser.has_section(SECTION):
        raise ConfigError(f"{file}: no [{SECTION}] section")
    s = parser[SECTION]
    secret_id, profile_key, region = s.get("secret_id", ""), "", s.get("region", "")
    if s.get("profile"):
        secret_id, profile_key, profile_region = _profile(s["profile"])
        region = region or profile_region
    endpoint = s.get("endpoint", "")
    if not endpoint or not secret_id:
        raise ConfigError(f"{file}: endpoint and secret_id (or profile) are required")
    if "://" not in endpoint:
        endpoint = "https://" + endpoint
    slots = [v.strip() for v in s.get("slots", "").split(",") if v.strip()] or None
    return Config(file, endpoint, region or "ap-guangzhou", secret_id, s.get("sealed_secret_key", ""),
                  profile_key, slots, parser)


def _profile(name: str) -> Tuple[str, str, str]:
    base = Path(os.path.expanduser(os.environ.get("TCCLI_CONFIG_DIR", "~/.tccli")))
    try:
        cred = json.loads((base / f"{name}.credential").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"tccli profile {name}: {exc}") from None
    region = ""
    try:
        region = json.loads((base / f"{name}.configure").read_text()).get("_sys_param", {}).get("region", "")
    except (OSError, ValueError):
        pass
    return cred.get("secretId", ""), cred.get("secretKey", ""), region


# ---- the sealed SecretKey ----

def _kdf(pin: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    return Scrypt(salt=salt, length=32, n=2 ** 14, r=8, p=1).derive(pin.encode("utf-8"))


def seal(secret_key: str, pin: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    salt, nonce = os.urandom(16), os.urandom(12)
    ct = AESGCM(_kdf(pin, salt)).encrypt(nonce, secret_key.encode(), b"guardzone-pkcs11")
    return "gz1:" + ":".join(base64.b64encode(p).decode() for p in (salt, nonce, ct))


def unseal(sealed: str, pin: str) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    try:
        tag, salt, nonce, ct = sealed.split(":")
        assert tag == "gz1"
        salt, nonce, ct = (base64.b64decode(p) for p in (salt, nonce, ct))
    except Exception:
        raise ConfigError("sealed_secret_key is not gz1:salt:nonce:ciphertext") from None
    try:
        return AESGCM(_kdf(pin, salt)).decrypt(nonce, ct, b"guardzone-pkcs11").decode()
    except InvalidTag:
        raise PinIncorrect("the PIN does not open sealed_secret_key") from None


if __name__ == "__main__":
    import getpass
    import sys
    if sys.argv[1:] != ["seal"]:
        sys.exit("usage: python -m layers.hsm_native.config seal   (prints a sealed_secret_key line)")
    key = getpass.getpass("SecretKey: ")
    pin = getpass.getpass("PIN: ")
    if pin != getpass.getpass("PIN again: "):
        sys.exit("the PINs differ")
    print("sealed_secret_key = " + seal(key, pin))
