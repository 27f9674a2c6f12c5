"""What the local stack writes besides moto's state: the data folder's demo record and the tccli
profile."""
import json
import os
import stat

import pytest

from infra import folder_lock, tccli_profile
from infra.data_dir import DataDir


def test_fresh_empties_the_state_and_nothing_else(tmp_path):
    data = DataDir(str(tmp_path / "data")).prepare()
    for folder in (data.moto, data.spool, data.search):
        folder.mkdir()
        (folder / "x").write_text("x")
    (data.root / "notes.txt").write_text("mine")
    data.keep_demo({"OwnerUin": "1", "AppId": "2", "Name": "demo", "Uin": "1", "SecretId": "AKIDx",
                    "SecretKey": "never written", "Operator": False})
    assert data.demo() == {"OwnerUin": "1", "AppId": "2", "Name": "demo", "Uin": "1", "SecretId": "AKIDx"}
    assert "never written" not in data.demo_file.read_text()
    DataDir(str(tmp_path / "data")).prepare(fresh=True)
    assert sorted(p.name for p in data.root.iterdir()) == ["notes.txt"] and data.demo() is None


def test_fresh_refuses_a_folder_a_running_stack_keeps(tmp_path):
    data = DataDir(str(tmp_path / "data")).prepare()
    fd = folder_lock.hold(str(data.moto))          # as the running stack's moto holds it
    try:
        with pytest.raises(folder_lock.FolderBusy):
            data.prepare(fresh=True)
        assert data.moto.is_dir()
    finally:
        os.close(fd)
    data.prepare(fresh=True)
    assert not data.moto.exists()


def test_data_dir_defaults_under_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GZ_DATA_DIR", raising=False)
    assert DataDir().root == tmp_path / ".guardzone"
    monkeypatch.setenv("GZ_DATA_DIR", str(tmp_path / "elsewhere"))
    assert DataDir().moto == tmp_path / "elsewhere" / "moto"


def test_tccli_profile_names_every_served_service_and_keeps_the_users_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / ".tccli"
    folder.mkdir()
    (folder / "guardzone.configure").write_text(json.dumps({"_sys_param": {"output": "table"}, "cvm": {"x": 1}}))
    tccli_profile.write("guardzone", "127.0.0.1:9000", "AKIDx", "key")
    conf = json.loads((folder / "guardzone.configure").read_text())
    assert conf["_sys_param"]["output"] == "table" and conf["_sys_param"]["region"] == "ap-guangzhou"
    assert conf["cvm"] == {"x": 1}
    assert conf["dasb"] == {"endpoint": "http://127.0.0.1:9000", "version": "2019-10-18"}
    assert conf["cloudaudit"]["version"] == "2019-03-19"
    assert {"cloudhsm", "kms"} <= set(conf) and "bhsaas" not in conf
    credential = folder / "guardzone.credential"
    assert json.loads(credential.read_text()) == {"secretId": "AKIDx", "secretKey": "key"}
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600


def test_tccli_profile_name(monkeypatch):
    monkeypatch.delenv("GZ_TCCLI_PROFILE", raising=False)
    assert tccli_profile.profile_name() == "guardzone"
    monkeypatch.setenv("GZ_TCCLI_PROFILE", "")
    assert tccli_profile.profile_name() == ""
