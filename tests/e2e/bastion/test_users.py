"""Users: CreateUser, ModifyUser, DeleteUsers, DescribeUsers, ResetUser."""
import pytest

WEEK = "1" * 168


def test_create_and_describe_a_user(bh):
    gid = bh.call("CreateUserGroup", Name="ops")["Id"]
    dep = bh.department("Ops")
    uid = bh.call("CreateUser", UserName="alice.w-1", RealName="Alice", Phone="+852 61234567",
                  Email="alice@example.com", ValidateFrom="2021-09-22T00:00:00+08:00",
                  ValidateTo="2031-09-22T00:00:00+08:00", GroupIdSet=[gid], AuthType=1,
                  ValidateTime="0" * 24 + "1" * 144, DepartmentId=dep)["Id"]
    user = bh.call("DescribeUsers", IdSet=[uid])["UserSet"][0]
    assert user["Id"] == uid and user["UserName"] == "alice.w-1" and user["RealName"] == "Alice"
    assert user["Phone"] == "+852 61234567" and user["Email"] == "alice@example.com"
    assert user["ValidateFrom"] == "2021-09-22T00:00:00+08:00" and user["ValidateTo"] == "2031-09-22T00:00:00+08:00"
    assert [g["Id"] for g in user["GroupSet"]] == [gid] and user["GroupSet"][0]["Name"] == "ops"
    assert user["AuthType"] == 1 and user["ValidateTime"] == "0" * 24 + "1" * 144
    assert user["Department"] == {"Id": dep, "Name": "Ops", "Managers": [], "ManagerUsers": []}
    assert user["DepartmentId"] == dep


def test_defaults_of_a_new_user(bh):
    uid = bh.user("bob")
    user = bh.call("DescribeUsers", IdSet=[uid])["UserSet"][0]
    assert user["AuthType"] == 0 and user["ValidateTime"] == WEEK and user["GroupSet"] == []
    assert user["ValidateFrom"] == "" and user["ValidateTo"] == "" and user["Email"] == ""


def test_ids_are_unique_and_increasing_per_account(bh, other):
    first, second = bh.user("carol"), bh.user("dave")
    assert second > first >= 1
    assert other.user("carol") == first      # another account counts on its own


@pytest.mark.parametrize("name", ["ab", "1abc", "_abc", "abc def", "abc!", "a" * 21, "张三abc"])
def test_user_name_rule(bh, name):
    assert bh.error("CreateUser", UserName=name, RealName="X", Phone="13800000000") == "InvalidParameterValue"


@pytest.mark.parametrize("name", ["abc", "a" * 20, "A.b_c-9"])
def test_user_name_accepted(bh, name):
    assert bh.user(name) > 0


@pytest.mark.parametrize("real_name", ["", "John Smith", "a\tb", "x" * 21])
def test_real_name_rule(bh, real_name):
    assert bh.error("CreateUser", UserName="erin", RealName=real_name, Phone="13800000000") == "InvalidParameterValue"


@pytest.mark.parametrize("phone,ok", [("13800000000", True), ("+852 61234567", True), ("+86|13800000000", True),
                                      ("+1 4155550100", True), ("1380000000", False), ("23800000000", False),
                                      ("+852-61234567", False), ("852 61234567", False), ("", False)])
def test_phone_formats(bh, phone, ok):
    if ok:
        assert bh.user("frank", Phone=phone) > 0
    else:
        assert bh.error("CreateUser", UserName="frank", RealName="F", Phone=phone) == "InvalidParameterValue"


@pytest.mark.parametrize("extra", [
    {"ValidateTime": "1" * 167}, {"ValidateTime": "2" * 168}, {"ValidateTime": "1" * 169},
    {"AuthType": 3}, {"Email": "not-an-email"}, {"ValidateFrom": "yesterday"},
    {"ValidateFrom": "2022-01-02T00:00:00+08:00", "ValidateTo": "2022-01-01T00:00:00+08:00"},
    {"DepartmentId": "1..2"},
])
def test_invalid_values(bh, extra):
    assert bh.error("CreateUser", UserName="gina", RealName="G", Phone="13800000000", **extra) == "InvalidParameterValue"


def test_missing_unknown_and_mistyped_parameters(bh):
    assert bh.error("CreateUser", UserName="hank", RealName="H") == "MissingParameter"
    assert bh.raw_error("CreateUser", UserName="hank", RealName="H", Phone="13800000000", Nick="h") == "UnknownParameter"
    assert bh.raw_error("CreateUser", UserName="hank", RealName="H", Phone=13800000000) == "InvalidParameter"


def test_duplicate_user_name(bh):
    bh.user("ivan")
    assert bh.error("CreateUser", UserName="ivan", RealName="Other", Phone="13900000000") == \
        "FailedOperation.DuplicateData"


def test_unknown_group_is_not_found_and_nothing_is_created(bh):
    assert bh.error("CreateUser", UserName="jack", RealName="J", Phone="13800000000", GroupIdSet=[99]) == \
        "ResourceNotFound"
    assert bh.call("DescribeUsers", UserName="jack")["TotalCount"] == 0


def test_describe_filters(bh):
    d12 = bh.department("Dev")
    d123, d13 = bh.department("Web", parent=d12), bh.department("Ops")
    a = bh.user("kate", Phone="+852 61234567", AuthType=1, DepartmentId=d123, Email="k@example.com")
    b = bh.user("kevin", RealName="Kevin", DepartmentId=d13)
    c = bh.user("liam", RealName="KateFan", Phone="13900000000")
    ids = lambda **f: [u["Id"] for u in bh.call("DescribeUsers", **f)["UserSet"]]  # noqa: E731
    assert ids() == [a, b, c]
    assert ids(Name="KATE") == [a, c]                             # fuzzy over user name and real name
    assert ids(UserName="kate") == [a]                            # exact
    assert ids(UserName="kat") == []
    assert ids(Phone="+852 61234567") == [a] == ids(Phone="+852|61234567")
    assert ids(UserName="kevin", Phone="+852 61234567") == [b]    # Phone ignored when UserName is given
    assert ids(Phone="13900000000", Name="kevin") == [c]          # Name ignored when Phone is given
    assert ids(IdSet=[b], UserName="kate", Name="zzz") == [b]     # IdSet overrides everything
    assert ids(AuthTypeSet=[1]) == [a] and ids(AuthTypeSet=[0, 2]) == [b, c]
    assert ids(DepartmentId="1") == [a, b, c] and ids(DepartmentId=d12) == [a] and ids(DepartmentId=d13) == [b]
    assert ids(Email="k@example.com") == [a]


def test_paging_defaults_and_limits(bh):
    created = [bh.user(f"user{i:02d}") for i in range(25)]
    page = bh.call("DescribeUsers")
    assert page["TotalCount"] == 25 and [u["Id"] for u in page["UserSet"]] == created[:20]
    page = bh.call("DescribeUsers", Offset=20, Limit=10)
    assert [u["Id"] for u in page["UserSet"]] == created[20:]
    assert bh.call("DescribeUsers", Limit=500)["TotalCount"] == 25
    assert bh.error("DescribeUsers", Limit=501) == "InvalidParameterValue"


def test_modify_user(bh):
    g1, g2 = bh.call("CreateUserGroup", Name="g1")["Id"], bh.call("CreateUserGroup", Name="g2")["Id"]
    uid = bh.user("mia", GroupIdSet=[g1], AuthType=2, ValidateFrom="2021-01-01T00:00:00+08:00",
                  ValidateTime="0" * 168, DepartmentId=bh.department("Sales"))
    bh.call("ModifyUser", Id=uid, RealName="Mia", Phone="13700000000", Email="mia@example.com", GroupIdSet=[g2])
    user = bh.call("DescribeUsers", IdSet=[uid])["UserSet"][0]
    assert (user["RealName"], user["Phone"], user["Email"]) == ("Mia", "13700000000", "mia@example.com")
    assert [g["Id"] for g in user["GroupSet"]] == [g2]
    assert user["ValidateFrom"] == "" and user["AuthType"] == 0      # left out: no limit, default 0
    assert user["ValidateTime"] == "0" * 168 and user["Department"]["Name"] == "Sales"   # left out: kept
    bh.call("ModifyUser", Id=uid, RealName="Mia", Phone="13700000000", Email="")
    assert [g["Id"] for g in bh.call("DescribeUsers", IdSet=[uid])["UserSet"][0]["GroupSet"]] == [g2]


def test_modify_user_errors(bh):
    uid = bh.user("noah")
    assert bh.error("ModifyUser", Id=uid + 100, RealName="N", Phone="13800000000", Email="") == "ResourceNotFound"
    assert bh.error("ModifyUser", Id=uid, RealName="N", Phone="13800000000") == "MissingParameter"
    assert bh.error("ModifyUser", Id=uid, RealName="N O", Phone="13800000000", Email="") == "InvalidParameterValue"
    assert bh.error("ModifyUser", Id=uid, RealName="N", Phone="13800000000", Email="", GroupIdSet=[7]) == \
        "ResourceNotFound"


def test_delete_users_cleans_groups_and_acls(bh):
    gid = bh.call("CreateUserGroup", Name="ops")["Id"]
    keep, gone = bh.user("olga", GroupIdSet=[gid]), bh.user("omar", GroupIdSet=[gid])
    acl = bh.call("CreateAcl", Name="a1", AllowDiskRedirect=False, AllowAnyAccount=True, UserIdSet=[keep, gone])["Id"]
    bh.call("DeleteUsers", IdSet=[gone])
    assert [u["Id"] for u in bh.call("DescribeUsers")["UserSet"]] == [keep]
    assert [u["Id"] for u in bh.call("DescribeUserGroupMembers", Id=gid, Bound=True)["UserSet"]] == [keep]
    assert [u["Id"] for u in bh.call("DescribeAcls", IdSet=[acl])["AclSet"][0]["UserSet"]] == [keep]
    bh.user("omar")                                                  # the name is free again


def test_delete_users_is_all_or_nothing(bh):
    uid = bh.user("pia")
    assert bh.error("DeleteUsers", IdSet=[uid, uid + 50]) == "ResourceNotFound"
    assert bh.call("DescribeUsers")["TotalCount"] == 1
    assert bh.error("DeleteUsers", IdSet=[]) == "InvalidParameterValue"


def test_reset_user(bh):
    uid = bh.user("quinn")
    bh.call("ResetUser", IdSet=[uid])
    user = bh.call("DescribeUsers", IdSet=[uid])["UserSet"][0]
    assert user["ActiveStatus"] == 0 and user["LockStatus"] == 0
    assert bh.error("ResetUser", IdSet=[uid + 1]) == "ResourceNotFound"
    assert bh.error("ResetUser") == "MissingParameter"
