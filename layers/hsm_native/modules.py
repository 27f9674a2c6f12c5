"""The implementation modules the native library imports when it starts (one line each): each defines
its exported C functions with @ffi.def_extern()."""
MODULES = [
    "layers.hsm_native.pkcs11",
    "layers.hsm_native.sdf",
]
