"""The bastion's MySQL proxy: database clients log in on the gateway's MySQL port (8323) as
`bastionuser/account/host` (or with a database access string) and reach the database through it,
every statement judged and recorded.

    protocol.py   the client/server protocol: packets, handshake, authentication, parameters
    responses.py  where a response to a command ends, and what it affected
    login.py      the client's login with bastion credentials; authorization as for SSH
    target.py     the connection to the database with the hosted password (TLS where set)
    proxy.py      the server: the command loop, blocking, statement records, the session
"""
