"""The opensearch-py client for the configured cluster (osmem-server locally)."""
from functools import lru_cache

from opensearchpy import OpenSearch

from layers.config import settings


@lru_cache(maxsize=1)
def _client_for(url: str) -> OpenSearch:
    return OpenSearch(hosts=[url], timeout=10, max_retries=0)


def client() -> OpenSearch:
    url = settings().opensearch_url
    if not url:
        raise RuntimeError("GZ_OPENSEARCH_URL is not set")
    return _client_for(url)
