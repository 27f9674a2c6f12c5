"""CloudAudit: audit events from the queue into daily OpenSearch indices (plus a raw archive in
S3), and the queries, exports and retention over them.

    indexer    queue batch -> archive + store, per-message outcome
    store      the search store interface and its OpenSearch implementation
    lookup     LookupEvents / LookUpEvents: parameters -> a page of events
    query      filters and the time-ordered, resumable scan over daily indices
    exports    export tasks (DynamoDB) and the streaming export worker
"""
