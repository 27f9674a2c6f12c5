"""Errors of the key hierarchy. Messages name domains and keys, never key material."""


class KeystoreError(Exception):
    """Base of every keystore error."""


class DomainNotFound(KeystoreError):
    """The domain does not exist (it was never created)."""


class DomainDestroyed(KeystoreError):
    """The domain was destroyed: everything wrapped under it is gone for good."""


class UnwrapFailed(KeystoreError):
    """Wrapped material does not open under the domain's master key with the given binding
    (wrong account, key id, version or generation, or the bytes were modified)."""


class SealedDataInvalid(KeystoreError):
    """A sealed value is malformed, was modified, or belongs to another account, purpose or context."""


class RootKeyUnavailable(KeystoreError):
    """The cloud KMS holding the root key refused or could not be reached."""
