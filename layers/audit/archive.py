"""The raw archive of every audit event in S3: gzip-compressed NDJSON, one prefix per UTC day.

    s3://<archive bucket>/traillog/YYYY.MM.DD/<first EventTime>-<batch id>.ndjson.gz

The indexer writes one object per day per batch alongside its write to the store and counts a
message done only when both succeeded, so a day's archive holds at least every event its index
holds (a redelivered batch may archive an event twice; rebuilding is idempotent by EventId). A day's index can be rebuilt from it, and the
bucket's lifecycle rule (configurable, prefix-scoped) expires old days.
"""
import datetime as dt
import gzip
import json
import uuid
from typing import Dict, Iterator, List, Optional, Sequence

from layers import aws
from layers.audit import indices
from layers.audit.config import audit_settings
from layers.audit.document import event_json

LIFECYCLE_RULE_ID = "cloudaudit-archive-expiry"


class Archive:
    def __init__(self, bucket: Optional[str] = None, prefix: Optional[str] = None) -> None:
        s = audit_settings()
        self.bucket = bucket or s.archive_bucket
        self.prefix = (prefix or s.archive_prefix).strip("/")

    def day_prefix(self, day: dt.date) -> str:
        return f"{self.prefix}/{day:%Y.%m.%d}/"

    def put(self, events: Sequence[dict], lines: Optional[Sequence[str]] = None) -> List[str]:
        """Archive events (grouped by their UTC day); returns the object keys written. `lines`,
        the JSON each event was parsed from, are archived as they are."""
        by_day: Dict[dt.date, List[int]] = {}
        for i, e in enumerate(events):
            by_day.setdefault(indices.day_of(int(e["EventTime"])), []).append(i)
        s3 = aws.client("s3")
        keys = []
        for day, mine in sorted(by_day.items()):
            text = "\n".join(lines[i] if lines else event_json(events[i]) for i in mine) + "\n"
            body = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
            first = min(int(events[i]["EventTime"]) for i in mine)
            key = f"{self.day_prefix(day)}{first:013d}-{uuid.uuid4().hex}.ndjson.gz"
            s3.put_object(Bucket=self.bucket, Key=key, Body=body,
                          ContentType="application/x-ndjson", ContentEncoding="gzip")
            keys.append(key)
        return keys

    def keys(self, day: dt.date) -> Iterator[str]:
        paginator = aws.client("s3").get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.day_prefix(day)):
            for obj in page.get("Contents", []):
                yield obj["Key"]

    def days(self) -> List[dt.date]:
        """The days the archive has objects for."""
        paginator = aws.client("s3").get_paginator("list_objects_v2")
        found = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/", Delimiter="/"):
            for p in page.get("CommonPrefixes", []):
                day = indices.parse_index("d", "d-" + p["Prefix"].rstrip("/").rsplit("/", 1)[-1])
                if day:
                    found.append(day)
        return sorted(found)

    def read_day(self, day: dt.date) -> Iterator[dict]:
        """Every archived event of a day, streamed object by object."""
        s3 = aws.client("s3")
        for key in self.keys(day):
            body = s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            with gzip.GzipFile(fileobj=body, mode="rb") as gz:
                for line in gz:
                    line = line.strip()
                    if line:
                        yield json.loads(line)

    def ensure_lifecycle(self, days: Optional[int] = None) -> Optional[dict]:
        """Expire archived objects after `days` (GZ_AUDIT_ARCHIVE_DAYS; 0 removes the rule).
        Other rules of the bucket are kept."""
        days = audit_settings().archive_days if days is None else days
        s3 = aws.client("s3")
        try:
            rules = s3.get_bucket_lifecycle_configuration(Bucket=self.bucket).get("Rules", [])
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchLifecycleConfiguration":
                raise
            rules = []
        rules = [r for r in rules if r.get("ID") != LIFECYCLE_RULE_ID]
        rule = None
        if days > 0:
            rule = {"ID": LIFECYCLE_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": f"{self.prefix}/"},
                    "Expiration": {"Days": days}}
            rules.append(rule)
        if rules:
            s3.put_bucket_lifecycle_configuration(Bucket=self.bucket, LifecycleConfiguration={"Rules": rules})
        else:
            s3.delete_bucket_lifecycle(Bucket=self.bucket)
        return rule
