"""Keys stored in a domain: wrapped by its master key, bound to account, domain, generation,
key id and version, so a wrapped key opens only as the key version it was stored as."""
from layers.keystore import domains, wrapping
from layers.keystore.domains import Domain


def _binding(domain: Domain, key_id: str, version: int) -> bytes:
    return wrapping.binding("guardzone-key-v1", domain.account, domain.domain_id, str(domain.generation),
                            key_id, str(version))


def wrap(domain: Domain, key_id: str, version: int, material: bytes) -> bytes:
    return wrapping.wrap(domains.master_key(domain), material, _binding(domain, key_id, version))


def unwrap(domain: Domain, key_id: str, version: int, wrapped: bytes) -> bytes:
    """The key material, or UnwrapFailed."""
    return wrapping.unwrap(domains.master_key(domain), wrapped, _binding(domain, key_id, version))
