"""Guardzone: CloudAudit, CloudHSM and Bastion Host API. Every action goes through the gateway."""
from chalice import Chalice

from functions.events import audit_outbox
from functions.events import audit_export, audit_indexer, audit_retention, audit_track_delivery
from functions.events import bastion_asset_sync, bastion_pwd_rotation, bastion_session_log
from functions.events import kms_key_maintenance
from functions.web import bastion_oauth, console_pages, console_signin
from layers import logs
from layers.gateway.http import handle_chalice

app = Chalice(app_name="guardzone")
logs.configure()    # after Chalice, which sets its app logger ("guardzone") to ERROR
app.api.binary_types.append("multipart/form-data")
app.api.binary_types.extend(console_pages.BINARY_TYPES)

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


@app.route("/", methods=ALL_METHODS, content_types=["*/*"])
def api():
    return handle_chalice(app.current_request)


app.register_blueprint(audit_outbox.bp)
app.register_blueprint(audit_indexer.bp)
app.register_blueprint(audit_export.bp)
app.register_blueprint(audit_retention.bp)
app.register_blueprint(audit_track_delivery.bp)
app.register_blueprint(bastion_asset_sync.bp)
app.register_blueprint(bastion_pwd_rotation.bp)
app.register_blueprint(bastion_session_log.bp)
app.register_blueprint(kms_key_maintenance.bp)
app.register_blueprint(bastion_oauth.bp)
app.register_blueprint(console_pages.bp)
app.register_blueprint(console_signin.bp)
