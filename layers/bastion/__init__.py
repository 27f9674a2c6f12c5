"""Bastion Host (bhsaas / dasb) control plane, shared by the actions in functions/bhsaas/.

    store.py        packed-record repository over the bastion table; optimistic transactions
    snapshot.py     one account's records with their relations resolved (groups, ACL reach)
    views.py        records -> the API's data structures (User, Group, Device, Acl, Resource, ...)
    cascade.py      what deleting a user, group, device, template or resource also changes
    groups.py       user groups and device groups; acls.py: CreateAcl/ModifyAcl parameters
    devices.py      device records; resources.py, billing.py: bastion resources and their price
    fields.py       parameter types with the documentation's rules; filters.py, checks.py: shared
                    filter/paging semantics and existence checks; times.py: +08:00 timestamps
    secrets.py      hosted passwords and private keys (envelope encryption with KMS)
    inventory.py    the cloud inventory (EC2, RDS); asset_sync.py: devices from it, with its lease
    session_log.py  session events -> OpenSearch, and SearchCommand/SearchFile queries
    recording.py    session recordings (asciicast v2) spooled on disk and streamed to S3;
                    recording_spool.py, recording_store.py: the spool files and the S3 side
    config.py       GZ_BASTION_* settings
"""
