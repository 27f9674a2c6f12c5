"""The stores (DynamoDB tables, S3, SQS, OpenSearch) behind small repository interfaces."""
