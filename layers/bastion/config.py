"""Bastion settings, read from the environment (GZ_BASTION_*) on top of layers.config."""
import os
from typing import Tuple

from layers.config import settings
from layers.regions import REGIONS

DEFAULT_SYNC_SCHEDULE = "rate(8 hours)"     # the guide: "每间隔大约8小时"
DEFAULT_OWNER_TAG = "guardzone:owner-uin"
DEFAULT_PWD_SCHEDULE = "rate(1 minute)"


def table() -> str:
    return f"{settings().prefix}-bastion"


def asset_sync_queue() -> str:
    return f"{settings().prefix}-bastion-asset-sync"


def session_log_queue() -> str:
    return f"{settings().prefix}-bastion-session-log"


def sync_schedule() -> str:
    """A Chalice/EventBridge schedule expression, e.g. rate(8 hours) or cron(0 */8 * * ? *)."""
    return os.environ.get("GZ_BASTION_SYNC_SCHEDULE") or DEFAULT_SYNC_SCHEDULE


def pwd_schedule() -> str:
    """How often password rotation looks for due tasks and unclaimed runs (GZ_BASTION_PWD_SCHEDULE)."""
    return os.environ.get("GZ_BASTION_PWD_SCHEDULE") or DEFAULT_PWD_SCHEDULE


def owner_tag() -> str:
    """The tag naming the OwnerUin an EC2/RDS instance belongs to; only tagged instances sync."""
    return os.environ.get("GZ_BASTION_OWNER_TAG") or DEFAULT_OWNER_TAG


def sync_regions() -> Tuple[str, ...]:
    """Tencent regions whose inventory is synced (GZ_BASTION_SYNC_REGIONS, comma separated);
    default: every known region."""
    raw = os.environ.get("GZ_BASTION_SYNC_REGIONS", "")
    names = [r.strip() for r in raw.split(",") if r.strip()] if raw else list(REGIONS)
    return tuple(n for n in names if n in REGIONS)


def sync_lease_seconds() -> int:
    return int(os.environ.get("GZ_BASTION_SYNC_LEASE_SECONDS") or 900)

