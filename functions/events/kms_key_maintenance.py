"""Every hour: KMS keys past their deletion date are deleted; keys due for rotation are rotated."""
import logging

from chalice import Blueprint

from layers.kms import maintenance

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.kms")


@bp.schedule("rate(1 hour)", name="kms_key_maintenance")
def kms_key_maintenance(event):
    done = maintenance.run()
    if done["deleted"] or done["rotated"]:
        log.info("key maintenance: %(deleted)d deleted, %(rotated)d rotated", done)
    return done
