"""A finished export's download link (DescribeExportTasks' DownloadUrl, which the console offers):
a presigned GET of the exported file, valid SECONDS, signed by the API's own role."""
from layers import aws
from layers.audit.exports import SUCCESS

SECONDS = 900


def download_url(task: dict) -> str:
    """The link, or "" until the export has succeeded."""
    if task.get("Status") != SUCCESS or not task.get("ObjectKey"):
        return ""
    s3 = aws.client("s3", aws_region_name=task.get("AwsRegion") or None)
    return s3.generate_presigned_url("get_object", Params={"Bucket": task["CosBucket"], "Key": task["ObjectKey"]},
                                     ExpiresIn=SECONDS)
