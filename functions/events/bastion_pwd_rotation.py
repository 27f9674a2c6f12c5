"""Bastion password rotation on a schedule (every minute by default; GZ_BASTION_PWD_SCHEDULE takes
any rate(...) or cron(...) expression): asks for the runs periodic tasks are due, and does every
run nobody is doing (RunChangePwdTask's where no thread ran it, and runs whose runner died)."""
import time

from chalice import Blueprint

from layers.bastion import config

bp = Blueprint(__name__)


@bp.schedule(config.pwd_schedule(), name="bastion_pwd_rotation")
def scheduled_pwd_rotation(event):
    # imported here, not at module level: app.py imports every function's module at each cold start
    from layers.bastion import pwd_rotation
    remaining = getattr(getattr(event, "context", None), "get_remaining_time_in_millis", None)
    deadline = time.monotonic() + remaining() / 1000 if remaining else None
    return pwd_rotation.run_scheduled(deadline)
