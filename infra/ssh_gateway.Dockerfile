# The bastion's SSH gateway as a container task beside the functions (it is a long-running
# server, not a function): `make gateway-image` builds it; the deploy template (infra/deploy.json)
# runs it on Fargate behind a network load balancer. Configure it as the functions are (GZ_*
# variables, the same tables, queues, buckets and KMS root key; the template sets them) and expose
# GZ_SSH_PORT (SSH/SFTP), GZ_MYSQL_PORT (the database proxy) and GZ_WEB_TERMINAL_PORT (the console's
# H5 terminal, a WebSocket; put TLS in front of it for wss:). Its host key is kept sealed in the
# bastion table, so every task shows clients the same key.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/guardzone
COPY pyproject.toml README.md ./
COPY layers ./layers
COPY functions ./functions
COPY infra ./infra
RUN pip install --no-cache-dir ".[gateway]" \
 && python -m compileall -q layers functions infra \
 && useradd --system --uid 10001 --home-dir /srv/guardzone --shell /usr/sbin/nologin guardzone \
 && mkdir -p /var/spool/guardzone && chown guardzone /var/spool/guardzone
# The task's root filesystem is read-only: recordings spool here and temporary files go to /tmp,
# both task-local volumes (their content goes to S3 as sessions run).
VOLUME ["/var/spool/guardzone", "/tmp"]
ENV GZ_SSH_PORT=8322 GZ_MYSQL_PORT=8323 GZ_WEB_TERMINAL_PORT=8324 GZ_RECORDING_SPOOL_DIR=/var/spool/guardzone
EXPOSE 8322 8323 8324
USER 10001
# ECS stops a task with this signal: the gateway ends its sessions (recorded) before it exits.
STOPSIGNAL SIGINT
CMD ["python", "-m", "infra.ssh_gateway", "--host", "0.0.0.0"]
