"""The bastion's SSH gateway: operators log in as `bastionuser/account/host` on port 8322 and
reach the host through it, every session recorded.

    directory.py  which Tencent account a bastion user name belongs to; the login name parsed
    access.py     the host resolved and the session authorized as the control plane defines it
    hostkeys.py   target host keys pinned on first use
    target.py     the connection to the target with its hosted (or asked-for) credential
    server.py     the asyncssh server: login, the session relay, recording and command audit
"""
