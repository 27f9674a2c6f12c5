"""moto's in-memory state as files: one pickle per service of everything its BackendDict holds
(account → region → backend), written atomically and read back before moto serves.

Besides the backends, a BackendDict may hold state of its own: S3's keeps which account owns each
bucket name (bucket_accounts); without it a restored bucket would be created again, empty. What
pickle cannot take by itself: the locks and conditions moto keeps beside its data (SQS
queues, S3 keys) are recreated empty, and the private keys moto's KMS generates for every key
(cryptography objects) travel as DER. S3 keys pickle their bodies themselves (FakeKey.__getstate__).
"""
import copyreg
import functools
import io
import os
import pickle
import threading
from typing import Dict, List, Optional, Set

import moto
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x448, x25519
from moto import backends
from moto.core.base_backend import BackendDict

SUFFIX = ".pickle"
FORMAT = 1
_COMMON = set(vars(BackendDict(object, "any")))     # what every BackendDict has; the rest is state


class SnapshotError(Exception):
    """A snapshot file that cannot be read back."""


def _private_key(der: bytes):
    return serialization.load_der_private_key(der, password=None)


def _public_key(der: bytes):
    return serialization.load_der_public_key(der)


def _reduce_private(key):
    return _private_key, (key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()),)


def _reduce_public(key):
    return _public_key, (key.public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo),)


def _fresh(factory):
    return lambda _obj: (factory, ())


def _dispatch_table() -> dict:
    """Reducers by exact type, which pickle looks up in C; an isinstance test per object
    (reducer_override) made a DynamoDB table of 10,000 items four times slower to pickle. The
    concrete key classes are taken from one small key of each kind."""
    table = {**copyreg.dispatch_table,
             type(threading.Lock()): _fresh(threading.Lock),
             type(threading.RLock()): _fresh(threading.RLock),
             threading.Condition: _fresh(threading.Condition)}
    for key in (rsa.generate_private_key(public_exponent=65537, key_size=1024), ec.generate_private_key(ec.SECP256R1()),
                ed25519.Ed25519PrivateKey.generate(), ed448.Ed448PrivateKey.generate(),
                x25519.X25519PrivateKey.generate(), x448.X448PrivateKey.generate()):
        table[type(key)] = _reduce_private
        table[type(key.public_key())] = _reduce_public
    return table


class _Pickler(pickle.Pickler):
    dispatch_table = _dispatch_table()


@functools.lru_cache(maxsize=None)
def backend_dict(service: str):
    """The service's BackendDict, or None for what holds no state of its own (moto_api, ...)."""
    try:
        found = backends.get_backend(service)
    except (ImportError, AttributeError, KeyError):
        return None
    return found if isinstance(found, BackendDict) else None


def dumps(service: str) -> bytes:
    """Everything the service holds. The caller keeps the service's requests out meanwhile."""
    found = backend_dict(service)
    state = {"backends": {account: {region: backend for region, backend in regions.items()}
                          for account, regions in found.items()},
             "attributes": {k: v for k, v in vars(found).items() if k not in _COMMON}}
    buf = io.BytesIO()
    pickle.dump({"format": FORMAT, "moto": moto.__version__}, buf)   # a header readable on its own
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    return buf.getvalue()


def write(directory: str, service: str, data: bytes) -> None:
    """Replace the service's file so that a crash leaves the old one or the new one, never a mix."""
    path = os.path.join(directory, service + SUFFIX)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)            # the rename itself
    finally:
        os.close(fd)


def saved(directory: str) -> Dict[str, int]:
    """The services the folder holds, and the size of each one's file."""
    return {name[:-len(SUFFIX)]: os.path.getsize(os.path.join(directory, name))
            for name in sorted(os.listdir(directory)) if name.endswith(SUFFIX) and not name.startswith(".")}


def restore(directory: str, only: Optional[Set[str]] = None) -> List[str]:
    """Put every service found in the folder (or those of `only`) back into moto; returns their names."""
    restored = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.startswith("."):
            continue
        if name.endswith(".tmp"):
            os.remove(path)     # a write a crash interrupted; the file it was to replace is intact
            continue
        if not name.endswith(SUFFIX):
            continue
        service = name[:-len(SUFFIX)]
        if only is not None and service not in only:
            continue
        target = backend_dict(service)
        if target is None:
            raise SnapshotError(f"{path}: moto has no service {service!r}")
        header: Dict = {}
        try:
            with open(path, "rb") as f:
                header = pickle.load(f)
                state: Dict = pickle.load(f)
        except Exception as exc:
            raise SnapshotError(f"{path}: {type(exc).__name__}: {exc} (written by moto "
                                f"{header.get('moto', '?')}, this is moto {moto.__version__})") from exc
        for account, regions in state["backends"].items():
            holder = target[account]
            for region, backend in regions.items():
                dict.__setitem__(holder, region, backend)   # not the lazy creation of __getitem__
        for name, value in state["attributes"].items():
            setattr(target, name, value)
        restored.append(service)
    return restored

