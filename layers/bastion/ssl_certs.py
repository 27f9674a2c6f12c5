"""SSL certificates of devices (ImportExternalDevice's EnableSSL / SSLCert / SSLCertName).

The certificate (PEM) is kept apart from the device record, as kind "sslcert" in the bastion table
(layers/bastion/store.py), one record per device with the device's Id: {Id, SSLCert}. The device
record keeps EnableSSL, SSLCertName and HasSSLCert. No view answers the certificate's body (only
its name), and audit events redact it (the action declares SSLCert a secret parameter).
"""
from cryptography import x509

from layers.bastion import store
from layers.bastion.store import Tx
from layers.gateway.errors import invalid_value

KIND = "sslcert"
MAX_BYTES = 16384           # a chain of a few certificates; 16 per shard stays under the item limit
store.SHARD_SIZE.setdefault(KIND, 16)


def check(pem: str, name: str) -> str:
    """PEM certificates only (no private key): the certificate as stored."""
    text = pem.strip()
    if len(text) > MAX_BYTES or "PRIVATE KEY" in text:
        raise invalid_value(name, f"must be at most {MAX_BYTES} bytes of certificates, without a private key")
    try:
        data = text.encode("utf-8")
        if len(data) > MAX_BYTES or not x509.load_pem_x509_certificates(data):
            raise ValueError
    except ValueError:
        raise invalid_value(name, "not a PEM certificate (-----BEGIN CERTIFICATE----- ...)") from None
    return text + "\n"


def put(tx: Tx, device: dict, pem: str) -> None:
    tx.put(KIND, {"Id": device["Id"], "SSLCert": pem})
    device["HasSSLCert"] = True


def forget(tx: Tx, devices) -> None:
    """Drop the certificates of these device records (deleted devices)."""
    for dev in devices:
        if dev.get("HasSSLCert"):
            tx.delete(KIND, dev["Id"])
