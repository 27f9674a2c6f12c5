"""`audit`: the CloudAudit runbook as commands (mounted as `guardzone audit`, or run as
`python -m infra.audit_cli`).

Point it at the stack first: GZ_AWS_ENDPOINT (moto locally) and GZ_SEARCH_DIR (the embedded
store); deployed, the usual AWS credentials and region and GZ_OPENSEARCH_URL (the domain's URL).
"""
import datetime as dt
import json

import click


def _print(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.replace(".", "-"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)") from None


class _Group(click.Group):
    def invoke(self, ctx):
        from layers.search.store import StoreUnavailable
        try:
            return super().invoke(ctx)
        except StoreUnavailable as exc:      # e.g. the running stack holds the embedded store's writer
            raise click.ClickException(f"the search store is unavailable: {exc}") from None


@click.group(cls=_Group)
def audit() -> None:
    """CloudAudit: queue, days of the search store, archive, retention."""


@audit.command("status")
def status() -> None:
    """Queue depths (audit, dead-letter, export), events dead-lettered to the archive bucket (at most
    1,000 counted) and the daily indices with their event counts."""
    from layers import aws
    from layers.audit.config import audit_settings
    from layers.search.default import default_store
    from layers.config import settings
    sqs = aws.client("sqs")
    queues = {}
    for name in (settings().audit_queue, audit_settings().dead_letter_queue, audit_settings().export_queue):
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            queues[name] = {"visible": int(attrs["ApproximateNumberOfMessages"]),
                            "inFlight": int(attrs["ApproximateNumberOfMessagesNotVisible"])}
        except Exception as exc:
            queues[name] = {"error": str(exc)}
    from layers.gateway import audit_dead_letter
    try:
        dead = len(audit_dead_letter.stored())
    except Exception as exc:
        dead = {"error": str(exc)}
    from layers.audit.document import family
    store, events = default_store(), family(audit_settings().index_prefix)
    _print({"queues": queues, "deadLettered": dead,
            "indices": {events.partition(d): store.count(events, d) for d in store.days(events)}})


@audit.command("redrive")
@click.option("--limit", type=int, default=None, help="move at most this many messages")
def redrive_cmd(limit) -> None:
    """Move messages from the audit dead-letter queue back onto the audit queue."""
    from layers.audit.maintenance import redrive
    _print({"moved": redrive(limit=limit)})


@audit.command("rebuild")
@click.option("--day", "days", multiple=True, required=True, help="UTC day YYYY-MM-DD; repeatable")
@click.option("--fresh", is_flag=True, help="drop the day's partition first")
def rebuild_cmd(days, fresh) -> None:
    """Rebuild days of the store from the S3 archive (idempotent: EventId is the record id)."""
    from layers.audit.maintenance import rebuild_day
    from layers.search.default import default_store
    store = default_store()
    _print([vars(rebuild_day(store, _day(d), fresh=fresh)) for d in days])


@audit.command("archived-days")
def archived_days() -> None:
    """The days the S3 archive holds events for."""
    from layers.audit.archive import Archive
    _print([d.isoformat() for d in Archive().days()])


@audit.command("retention")
@click.option("--days", type=int, default=None, help="keep this many days (default GZ_AUDIT_RETENTION_DAYS, 365)")
def retention_cmd(days) -> None:
    """Drop days older than the retention period now."""
    from layers.audit.retention import drop_expired
    from layers.search.default import default_store
    _print({"dropped": drop_expired(default_store(), days=days)})


@audit.command("lifecycle")
@click.option("--days", type=int, default=None, help="expire archived events after this many days; 0: never")
def lifecycle_cmd(days) -> None:
    """Set the archive bucket's expiry rule for archived events (other rules are kept)."""
    from layers.audit.archive import Archive
    _print({"rule": Archive().ensure_lifecycle(days)})


@audit.command("templates")
def templates_cmd() -> None:
    """Make the search store ready for every family (OpenSearch: their index templates)."""
    from layers.search.default import default_store
    from layers.search.families import all_families
    families = all_families()
    default_store().install(families)
    _print({"installed": [f.prefix for f in families]})


@audit.command("read-only")
@click.argument("state", type=click.Choice(["on", "off"]))
def read_only_cmd(state) -> None:
    """Set or clear cluster.blocks.read_only_allow_delete (the seed's failure plan clears it
    after freeing disk space; events wait on the queue meanwhile)."""
    from layers.search.default import default_store
    store = default_store()
    if not hasattr(store, "set_read_only"):
        raise click.ClickException("read-only is a setting of an OpenSearch store (GZ_OPENSEARCH_URL)")
    store.set_read_only(state == "on")
    _print({"read_only_allow_delete": state == "on"})


@audit.command("drain")
@click.option("--max-batches", type=int, default=0, help="stop after this many batches (0: until empty)")
def drain_cmd(max_batches) -> None:
    """Index what the audit queue holds now, in this process (when the consumer is stopped)."""
    from infra.pump import Pump
    import app as app_module
    source = next(s for s in app_module.app.event_sources if s.name == "audit_indexer")
    pump, batches, messages = Pump(app_module.app), 0, 0
    while not max_batches or batches < max_batches:
        got = pump.deliver_once(source)
        if not got:
            break
        batches, messages = batches + 1, messages + got
    _print({"batches": batches, "messages": messages})


@audit.command("verify")
@click.option("--bucket", required=True, help="the track's bucket (COS <name>-<AppId>)")
@click.option("--prefix", default="", help="the track's StoragePrefix (or a narrower prefix)")
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False), default=None,
              help="the signing key's PEM (default: the published key the digests name, from the stack)")
@click.option("--grace", type=float, default=300.0, show_default=True,
              help="files this much older than the newest digest's end must be listed by a digest")
def verify_cmd(bucket, prefix, public_key, grace) -> None:
    """Check the tracks' digest files under a prefix: their SM2 signatures and chain, and that every
    file they list is there unchanged and every delivered file is listed. Exit status 1 on any problem."""
    from layers.audit import track_digest
    getter = None
    if public_key:
        pem = open(public_key, encoding="ascii").read()
        getter = lambda fp: pem  # noqa: E731
    report = track_digest.verify(bucket, prefix, public_key=getter, grace_seconds=grace)
    for p in report["problems"]:
        click.echo(f"{p['kind']}: {p['key']} ({p['detail']})", err=True)
    _print(report)
    if not report["ok"]:
        raise SystemExit(1)


@audit.command("signing-key")
def signing_key_cmd() -> None:
    """Print the public key (PEM) that signs track digests, and its fingerprint."""
    from layers.audit import track_digest
    _, fp = track_digest.signing_key()
    _print({"fingerprint": fp, "algorithm": track_digest.ALGORITHM, "publicKey": track_digest.public_key_pem(fp)})


@audit.command("tracks")
@click.option("--account", default=None, help="one account's tracks (OwnerUin); default: every logging track")
def tracks_cmd(account) -> None:
    """Tracks with their delivery status: last delivery, last error, files waiting, last digest."""
    from layers.audit import tracks
    found = tracks.list_tracks(account) if account else tracks.active()
    _print([{"Account": t.account, "TrackId": t.track_id, "Name": t.name, "Status": t.status,
             "Storage": t.storage, "Delivery": tracks.delivery_view(t)} for t in found])


@audit.command("track-retry")
def track_retry_cmd() -> None:
    """Try the track files not delivered yet again now (what the audit_track_retry schedule does)."""
    from layers.audit import track_delivery
    _print(track_delivery.retry_pending())


@audit.command("track-digest")
def track_digest_cmd() -> None:
    """Write every logging track's digest now (what the audit_track_digest schedule does)."""
    from layers.audit import track_digest
    _print(track_digest.run_all())


if __name__ == "__main__":
    audit(prog_name="python -m infra.audit_cli")
