"""The connection from the gateway to the target host, as the device account's user.

Credentials: the account's hosted private key (with its passphrase) or hosted password, unsealed
through the key store only for the connection and never logged; else the password the operator
typed when asked (the seed's step 8). The host key must be the one pinned for the endpoint
(hostkeys.py); the first connection pins it before any credential leaves the gateway."""
import asyncio
from dataclasses import dataclass
from typing import Optional

import asyncssh

from layers.bastion import secrets
from layers.bastion.ssh import hostkeys
from layers.bastion.ssh.access import Denied, Grant

CONNECT_TIMEOUT = 10
# AES-GCM first on the hop the gateway chooses: with AES-NI it costs a quarter of what
# chacha20-poly1305 does in asyncssh per packet (measured by the gateway benchmark); the rest of
# asyncssh's defaults follow for targets without it.
CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes256-ctr",
           "aes192-ctr", "aes128-ctr")
# Channel window and largest packet the gateway takes, from the operator and from the target:
# fewer, larger packets cost both hops less (a peer sends at most what we announce; OpenSSH keeps
# its own 32 KiB). CHANNEL goes to every channel opened on a target connection.
WINDOW, PACKET = 8 * 1024 * 1024, 256 * 1024
CHANNEL = {"window": WINDOW, "max_pktsize": PACKET}


def pass_exit(process: asyncssh.SSHServerProcess, remote: asyncssh.SSHClientProcess) -> None:
    """The target command's exit status or signal, to the operator's channel (255: none came)."""
    if remote.exit_signal:
        signal, core, message, lang = remote.exit_signal
        process.exit_with_signal(signal, core, message, lang)
    else:
        process.exit(remote.exit_status if remote.exit_status is not None else 255)


@dataclass
class Hosted:
    password: Optional[str] = None
    private_key: Optional[str] = None
    passphrase: Optional[str] = None

    @property
    def any(self) -> bool:
        return bool(self.password or self.private_key)


def hosted(grant: Grant) -> Hosted:
    """The device account's hosted credential (blocking: call it in an executor)."""
    rec, owner, aid = grant.device_account, grant.owner, grant.device_account["Id"]

    def unseal(field: str, name: str) -> Optional[str]:
        return secrets.open(rec[field], secrets.context(owner, aid, name)) if rec.get(field) else None

    return Hosted(password=unseal("Password", "password"), private_key=unseal("PrivateKey", "private_key"),
                  passphrase=unseal("PrivateKeyPassword", "private_key_password"))


async def _trusted_key(grant: Grant) -> asyncssh.SSHKey:
    loop = asyncio.get_running_loop()
    text = await loop.run_in_executor(None, hostkeys.pinned, grant.owner, grant.host, grant.port)
    if text is None:
        try:
            key = await asyncio.wait_for(asyncssh.get_server_host_key(grant.host, grant.port), CONNECT_TIMEOUT)
        except (OSError, asyncssh.Error, asyncio.TimeoutError) as exc:
            raise Denied("target_down", f"cannot reach {grant.host}:{grant.port} ({_why(exc)})") from None
        if key is None:
            raise Denied("target_down", f"{grant.host}:{grant.port} offered no host key")
        text = await loop.run_in_executor(None, hostkeys.pin, grant.owner, grant.host, grant.port,
                                          key.export_public_key().decode("ascii").strip())
    return asyncssh.import_public_key(text)


async def connect(grant: Grant, credential: Hosted) -> asyncssh.SSHClientConnection:
    """The target connection; Denied with a one-line reason when it cannot be made."""
    key = await _trusted_key(grant)
    client_keys = None
    if credential.private_key:
        try:
            client_keys = [asyncssh.import_private_key(credential.private_key, credential.passphrase)]
        except (asyncssh.KeyImportError, ValueError):
            raise Denied("bad_hosted_key", "the hosted private key of this account cannot be used") from None
    try:
        return await asyncio.wait_for(asyncssh.connect(
            grant.host, grant.port, username=grant.device_account["Account"], known_hosts=([key], [], []),
            encryption_algs=CIPHERS,
            password=credential.password, client_keys=client_keys, agent_path=None, preferred_auth=(
                "publickey", "password", "keyboard-interactive") if client_keys else ("password", "keyboard-interactive"),
            kbdint_auth=bool(credential.password)), CONNECT_TIMEOUT)
    except asyncssh.HostKeyNotVerifiable:
        raise Denied("host_key_changed", f"the host key of {grant.host}:{grant.port} has changed since it was "
                                         "pinned; the session is refused until an administrator checks the host")
    except asyncssh.PermissionDenied:
        raise Denied("target_auth", f"{grant.host} refused the credential of `{grant.device_account['Account']}`")
    except (OSError, asyncssh.Error, asyncio.TimeoutError) as exc:
        raise Denied("target_down", f"cannot reach {grant.host}:{grant.port} ({_why(exc)})") from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__
