"""Settings read from the environment, in one place.

Every name starts with GZ_. Deployed, Chalice stage variables in .chalice/config.json set them;
locally, the stack runner sets them before the app is imported.
"""
import os
from functools import lru_cache


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Settings:
    def __init__(self) -> None:
        env = os.environ.get
        self.prefix = env("GZ_RESOURCE_PREFIX", "guardzone")
        # Table, queue and bucket names derive from the prefix (see infra/resources.json).
        self.identity_table = f"{self.prefix}-identity"
        self.control_table = f"{self.prefix}-control"
        self.audit_outbox_table = f"{self.prefix}-audit-outbox"
        self.audit_queue = env("GZ_AUDIT_QUEUE", f"{self.prefix}-audit")
        self.audit_queue_url = env("GZ_AUDIT_QUEUE_URL", "")
        # Bucket names (S3's are global: the deploy template adds the account and region).
        self.archive_bucket = env("GZ_ARCHIVE_BUCKET", "") or f"{self.prefix}-archive"
        self.recordings_bucket = env("GZ_RECORDINGS_BUCKET", "") or f"{self.prefix}-recordings"  # bastion session recordings
        # Signatures
        self.max_clock_skew = _int("GZ_MAX_CLOCK_SKEW", 300)
        self.credential_cache_seconds = _int("GZ_CREDENTIAL_CACHE_SECONDS", 30)
        # Rate limit: requests per second per (account, service, action).
        self.default_rate_limit = _int("GZ_RATE_LIMIT", 20)
        # Failed authentications a source address may make for one SecretId: a burst, then per second
        # (five and ten times as many for the address across SecretIds); see layers/gateway/auth_limit.py.
        self.auth_failure_burst = _int("GZ_AUTH_FAILURE_BURST", 20)
        self.auth_failure_rate = _int("GZ_AUTH_FAILURE_RATE", 1)
        # Audit delivery: "sync" sends before the response returns (Lambda);
        # "spool" writes a local write-ahead spool and ships batches in the background
        # (long-running local server).
        self.audit_delivery = env("GZ_AUDIT_DELIVERY", "sync")
        self.audit_spool_dir = env("GZ_AUDIT_SPOOL_DIR", "/tmp/guardzone-audit-spool")
        # Where the bastion gateway spools session recordings before S3 holds them (local disk);
        # empty: a folder under the system's temporary folder.
        self.recording_spool_dir = env("GZ_RECORDING_SPOOL_DIR", "")
        # bastion: keep each transferred file's first N bytes beside the recording (0: off)
        self.keep_file_bytes = max(0, _int("GZ_BASTION_KEEP_FILE_BYTES", 0))
        # AWS side
        self.aws_region = env("GZ_AWS_REGION", env("AWS_DEFAULT_REGION", "us-east-1"))
        self.aws_endpoint = env("GZ_AWS_ENDPOINT", "")  # moto server locally; empty deployed
        self.opensearch_url = env("GZ_OPENSEARCH_URL", "")
        # "sigv4": requests to OpenSearch are signed with the process's AWS credentials (an
        # OpenSearch Service domain with an IAM access policy); empty: unsigned (local stand-ins).
        self.opensearch_auth = env("GZ_OPENSEARCH_AUTH", "").strip().lower()
        # The root key in AWS KMS (key id, key ARN, alias name or alias ARN) the deploy template
        # created; empty: found by alias/<prefix>-root and created on first use (local stack).
        self.kms_root_key = env("GZ_KMS_ROOT_KEY", "").strip()
        # The embedded search store's folder (one machine), used when no OpenSearch URL is set.
        self.search_dir = env("GZ_SEARCH_DIR", "")
        # Level of the guardzone.* loggers (layers/logs.py): DEBUG, INFO, WARNING, ERROR.
        self.log_level = env("GZ_LOG_LEVEL", "INFO").strip().upper()


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()


def reload_settings() -> Settings:
    """Re-read the environment (tests and the local runner change it)."""
    settings.cache_clear()
    return settings()
