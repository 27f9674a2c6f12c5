"""Every hour: KMS keys past their deletion date are deleted; keys due for rotation are rotated."""
import logging

from chalice import Blueprint


bp = Blueprint(__name__)
log = logging.getLogger("guardzone.kms")


@bp.schedule("rate(1 hour)", name="kms_key_maintenance")
def kms_key_maintenance(event):
    # imported here, not at module level: app.py imports every function's module at each cold start
    from layers.kms import maintenance
    done = maintenance.run()
    if done["deleted"] or done["rotated"]:
        log.info("key maintenance: %(deleted)d deleted, %(rotated)d rotated", done)
    return done
