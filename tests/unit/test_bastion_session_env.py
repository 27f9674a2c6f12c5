"""The client's environment a terminal session passes to the target (layers/bastion/ssh/server.py):
the locale's and display settings only, never a variable that makes the target's shell run code."""
from layers.bastion.ssh.server import _passed_env


def test_only_the_locale_and_display_settings_are_passed_on():
    sent = {"LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN", "LC_ALL": "C.UTF-8", "LC_TIME": "C", "TZ": "Asia/Shanghai",
            "COLORTERM": "truecolor", "PROMPT_COMMAND": "rm -rf /x", "PS1": "$(rm -rf /x)", "BASH_ENV": "/tmp/x",
            "ENV": "/tmp/x", "BASH_FUNC_ls%%": "() { rm -rf /x; }", "LD_PRELOAD": "/tmp/x.so", "PATH": "/tmp",
            "SHELLOPTS": "xtrace", "PS4": "$(rm -rf /x)", "LANGX": "y", "LC_": "y"}
    assert _passed_env(sent) == {"LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN", "LC_ALL": "C.UTF-8", "LC_TIME": "C",
                                 "TZ": "Asia/Shanghai", "COLORTERM": "truecolor"}
    assert _passed_env(None) == {} and _passed_env({b"LANG": b"C"}) == {}
