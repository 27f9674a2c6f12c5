"""CreateExportTask (the console's 历史记录导出): export the events of a time range, with the
same filters as LookupEvents, as JSON or CSV into the caller's bucket — an existing one, or a
new one. The export runs asynchronously off the export queue; DescribeExportTasks reports it."""
from typing import List, Optional

from pydantic import Field

from layers.audit import exports
from layers.audit.lookup import LookupRequest, attributes_of, build_query, normalized_lookup_type
from layers.audit.params import Attr
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Bool, Params, String, Uint64
from layers.regions import DEFAULT_REGION, aws_region, is_known


class Input(Params):
    StartTime: Uint64
    EndTime: Uint64
    CosBucket: String
    CosRegion: Optional[String] = None
    IsCreateNewBucket: Bool = False
    StorageType: Optional[String] = None
    FileType: Optional[String] = None
    Language: Optional[String] = None
    OwnerUin: Optional[String] = None
    LookupAttributes: Optional[List[Attr]] = Field(None, max_length=20)
    LookupType: Optional[String] = None
    ContentValue: Optional[String] = Field(None, max_length=256)


@action("CreateExportTask", Input, region=REGION_IGNORED, versions=("2019-03-04",), resource_type="export")
def handle(p: Input, ctx: RequestContext) -> dict:
    # Everything is validated before anything is written.
    attributes = attributes_of(p.LookupAttributes)
    query, _ = build_query(LookupRequest(start_time=p.StartTime, end_time=p.EndTime, max_results=1,
                                         owner_uin=p.OwnerUin or "", attributes=attributes,
                                         lookup_type=p.LookupType or "", content_value=p.ContentValue or ""), ctx)
    storage_type = exports.check_storage_type(p.StorageType or "")
    file_type = exports.normalized_file_type(p.FileType or "")
    language = exports.normalized_language(p.Language or "", ctx.language)
    cos_region = p.CosRegion or (ctx.region if is_known(ctx.region) else DEFAULT_REGION)
    if not is_known(cos_region):
        raise invalid_value("CosRegion", f"`{cos_region}` is not a region of this service")
    bucket = exports.bucket_name(p.CosBucket, ctx.app_id)
    exports.prepare_bucket(bucket, aws_region(cos_region), p.IsCreateNewBucket)
    task_id = exports.create_task(exports.NewTask(
        creator_account=ctx.account, owner_uin=query.account, sub_account_uin=ctx.uin,
        start_ms=query.start_ms, end_ms=query.end_ms, attributes=attributes,
        lookup_type=normalized_lookup_type(p.LookupType or ""), content_value=p.ContentValue or "", cos_bucket=bucket,
        cos_region=cos_region, aws_region=aws_region(cos_region), storage_type=storage_type,
        file_type=file_type, language=language))
    exports.enqueue(ctx.account, task_id)
    ctx.touched(task_id, resource_type="export")
    return {"Id": task_id, "CosBucket": bucket}
