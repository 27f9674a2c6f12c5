# The bastion's SSH gateway as a container task beside the functions (it is a long-running
# server, not a function). Configure it as the functions are (GZ_* variables, the same tables,
# queues, buckets and KMS root key; GZ_OPENSEARCH_URL is not needed) and expose GZ_SSH_PORT.
# Its host key is kept sealed in the bastion table, so every task shows clients the same key.
FROM python:3.11-slim
WORKDIR /srv/guardzone
COPY pyproject.toml README.md ./
COPY layers ./layers
COPY functions ./functions
COPY infra ./infra
RUN pip install --no-cache-dir ".[gateway]"
ENV GZ_SSH_PORT=8322
EXPOSE 8322
CMD ["python", "-m", "infra.ssh_gateway", "--host", "0.0.0.0"]
