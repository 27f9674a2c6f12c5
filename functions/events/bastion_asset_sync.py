"""Bastion asset sync triggers: the schedule (every 8 hours by default; GZ_BASTION_SYNC_SCHEDULE
takes any rate(...) or cron(...) expression) and the worker for CreateAssetSyncJob's jobs."""
import json

from chalice import Blueprint

from layers.bastion import config

bp = Blueprint(__name__)


@bp.schedule(config.sync_schedule(), name="bastion_asset_sync")
def scheduled_asset_sync(event):
    # imported here, not at module level: app.py imports every function's module at each cold start
    from layers.bastion import asset_sync
    return asset_sync.run_scheduled()


@bp.on_sqs_message(queue=config.asset_sync_queue(), batch_size=1, name="bastion_asset_sync_job")
def asset_sync_job(event):
    from layers.bastion import asset_sync
    done = 0
    for record in event:
        if asset_sync.run_job(json.loads(record.body)) is not None:
            done += 1
    return {"synced": done}
