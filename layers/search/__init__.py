"""The search store every time-ordered record goes to: CloudAudit's events, the bastion's commands
and file operations. One typed query (query.py) and one interface (store.py); each backend renders
the query for its engine: OpenSearch deployed (opensearch.py), an embedded tantivy index on one
machine (embedded.py)."""
