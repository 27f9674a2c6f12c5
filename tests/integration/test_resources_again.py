"""create_all() on a stack that already holds everything, as a restarted local stack does."""
from infra import resources
from layers import aws


def test_creating_again_keeps_what_exists_and_applies_changed_queue_attributes(stack):
    sqs = aws.client("sqs")
    url = stack.resources["AuditExportQueue"]["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "7"})    # as an older template had it
    s3 = aws.client("s3")
    bucket = stack.resources["ArchiveBucket"]["BucketName"]
    s3.put_object(Bucket=bucket, Key="kept/marker", Body=b"kept")
    assert resources.create_all() == stack.resources
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert got["VisibilityTimeout"] == "900"
    assert s3.get_object(Bucket=bucket, Key="kept/marker")["Body"].read() == b"kept"
    s3.delete_object(Bucket=bucket, Key="kept/marker")
