"""High-risk command templates: CreateCmdTemplate, ModifyCmdTemplate, DeleteCmdTemplates, DescribeCmdTemplates."""
import base64


def test_create_describe_modify(bh):
    a = bh.call("CreateCmdTemplate", Name="danger", CmdList="rm -rf /\nshutdown")["Id"]
    encoded = base64.b64encode("mkfs\n重启".encode()).decode()
    b = bh.call("CreateCmdTemplate", Name="disk", CmdList=encoded, Encoding=1)["Id"]
    found = bh.call("DescribeCmdTemplates")
    assert found["TotalCount"] == 2
    assert found["CmdTemplateSet"] == [{"Id": a, "Name": "danger", "CmdList": "rm -rf /\nshutdown", "Type": 2},
                                       {"Id": b, "Name": "disk", "CmdList": "mkfs\n重启", "Type": 2}]
    assert [t["Id"] for t in bh.call("DescribeCmdTemplates", Name="DIS")["CmdTemplateSet"]] == [b]
    assert [t["Id"] for t in bh.call("DescribeCmdTemplates", IdSet=[a], Name="dis")["CmdTemplateSet"]] == [a]
    assert bh.call("DescribeCmdTemplates", Type=1)["TotalCount"] == 0
    bh.call("ModifyCmdTemplate", Id=a, Name="danger2", CmdList="reboot")
    assert bh.call("DescribeCmdTemplates", IdSet=[a])["CmdTemplateSet"][0]["CmdList"] == "reboot"


def test_errors(bh):
    a = bh.call("CreateCmdTemplate", Name="one", CmdList="ls")["Id"]
    b = bh.call("CreateCmdTemplate", Name="two", CmdList="ls")["Id"]
    assert bh.error("CreateCmdTemplate", Name="one", CmdList="x") == "FailedOperation.DuplicateData"
    assert bh.error("ModifyCmdTemplate", Id=b, Name="one", CmdList="x") == "FailedOperation.DuplicateData"
    assert bh.error("ModifyCmdTemplate", Id=b + 5, Name="three", CmdList="x") == "ResourceNotFound"
    assert bh.error("CreateCmdTemplate", Name="a b", CmdList="x") == "InvalidParameterValue"
    assert bh.error("CreateCmdTemplate", Name="big", CmdList="x" * 32769) == "InvalidParameterValue"
    bh.call("CreateCmdTemplate", Name="max", CmdList="x" * 32768)
    assert bh.error("CreateCmdTemplate", Name="b64", CmdList="%%%", Encoding=1) == "InvalidParameterValue"
    assert bh.error("CreateCmdTemplate", Name="enc", CmdList="x", Encoding=2) == "InvalidParameterValue"
    assert bh.error("CreateCmdTemplate", Name="empty", CmdList="") == "InvalidParameterValue"
    assert bh.error("ModifyCmdTemplate", Id=a, Name="one", CmdList="x", Type=1) == "InvalidParameterValue"
    assert bh.error("CreateCmdTemplate", Name="nolist") == "MissingParameter"


def test_delete_strips_acls(bh):
    a = bh.call("CreateCmdTemplate", Name="one", CmdList="ls")["Id"]
    b = bh.call("CreateCmdTemplate", Name="two", CmdList="ls")["Id"]
    acl = bh.call("CreateAcl", Name="acl", AllowDiskRedirect=False, AllowAnyAccount=True, CmdTemplateIdSet=[a, b])["Id"]
    assert bh.error("DeleteCmdTemplates", IdSet=[a, b + 3]) == "ResourceNotFound"
    bh.call("DeleteCmdTemplates", IdSet=[a])
    assert [t["Id"] for t in bh.call("DescribeAcls", IdSet=[acl])["AclSet"][0]["CmdTemplateSet"]] == [b]
    assert bh.call("DescribeCmdTemplates")["TotalCount"] == 1
