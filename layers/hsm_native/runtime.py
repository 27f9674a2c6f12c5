"""Entry point of the library's init code: runs once, on the first call of any exported function."""
import importlib
import logging
import os
import sys

log = logging.getLogger("guardzone.hsm_native")


def start() -> None:
    level = os.environ.get("GUARDZONE_PKCS11_LOG")
    if level:
        logging.basicConfig(stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO),
                            format="guardzone-hsm %(levelname)s %(message)s")
    from layers.hsm_native.modules import MODULES
    for name in MODULES:
        importlib.import_module(name)
