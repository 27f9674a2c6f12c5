"""The embedded extension module's ffi and lib, for the implementation modules:

    from layers.hsm_native.native import ffi, lib

Importable only inside the built library (the module is registered when the library starts)."""
from _guardzone_hsm import ffi, lib  # noqa: F401  (the module build.py names)
