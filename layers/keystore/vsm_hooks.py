"""Importing this module makes CloudHSM's TerminateVsm shred the VSM's key domain.

layers.stores.vsm.on_vsm_terminated runs the hooks before the VSM record goes; destroy_domain is
idempotent, so a retried termination shreds again harmlessly.
"""
from layers.keystore import shred_vsm
from layers.stores import vsm as vsm_store

if shred_vsm not in vsm_store.termination_hooks:
    vsm_store.termination_hooks.append(shred_vsm)
