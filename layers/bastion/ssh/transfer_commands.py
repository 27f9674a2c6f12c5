"""Exec commands that are a file-transfer protocol's remote end, other than scp's own (scp_relay):
`sftp-server` run as a command (`sftp -s /usr/lib/openssh/sftp-server`, sshfs's `sftp_server=`),
relayed like the SFTP subsystem; `rsync --server` (what rsync runs over ssh), let through only where
the ACL's file switches allow what it will do. Shell commands that move bytes (`cat > f`) stay
commands: these are the protocols the file switches govern.

rsync's protocol is not read, so its files are not recorded one by one: the session is (its
command and, refused, one file record with Action 2), and an rsync that a size limit applies to
is refused, since the limit could not be held."""
import posixpath
import shlex
from typing import List, Optional

from layers.bastion import file_policy as fp

RSYNC = "RSYNC"


def _words(command: Optional[str]) -> List[str]:
    try:
        return shlex.split(command or "")
    except ValueError:
        return []


def is_sftp_server(command: Optional[str]) -> bool:
    words = _words(command)
    return bool(words) and posixpath.basename(words[0]) == "sftp-server"


def rsync_refusal(command: Optional[str], policy: fp.FilePolicy) -> Optional[tuple]:
    """For `rsync --server …`: None if the file switches allow it (or it is no rsync server), else
    (method, path, why)."""
    words = _words(command)
    if not words or posixpath.basename(words[0]) != "rsync" or "--server" not in words:
        return None
    path = words[-1] if len(words) > 2 else ""
    sender = "--sender" in words            # the target sends: a download
    if "--daemon" in words:                 # which way the files go is only known later
        why = policy.upload() or policy.download()
        method = fp.UPLOAD if policy.upload() else fp.DOWNLOAD
    elif sender:
        why, method = policy.download(), fp.DOWNLOAD
    else:
        why, method = policy.upload(), fp.UPLOAD
    if why:
        return method, path, why
    limits = (policy.max_down if sender else policy.max_up) if "--daemon" not in words else policy.max_up or policy.max_down
    if limits:
        return method, path, "rsync cannot be held to a size limit (MaxFileUpSize/MaxFileDownSize); use SFTP or scp"
    deletes = any(w.startswith("--delete") for w in words) or (sender and "--remove-source-files" in words)
    if deletes and policy.remove():
        return fp.DELETE, path, policy.remove()
    return None
