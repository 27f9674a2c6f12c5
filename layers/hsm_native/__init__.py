"""The native HSM library (libguardzone-pkcs11.so): PKCS#11 (and GM/T 0018 SDF) implemented in Python
behind a C ABI with cffi's embedding API. See build.py for how it is put together, docs/cloudhsm.md
("PKCS#11") for what it offers."""
