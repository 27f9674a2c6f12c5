"""What an operator may do with files through the gateway, from the ACLs of the login's grant,
and the codes the file records carry.

The switches (the seed's ACL fields):
  AllowFileUp        SFTP / scp: write files on the target (open for writing, create, truncate,
                     set attributes, mkdir, rename and move, links)
  AllowFileDown      SFTP / scp: read files off the target
  AllowFileDel       SFTP: remove files and directories (and rename onto an existing file, which
                     replaces it)
  AllowShellFileUp   rz in a terminal session (ZMODEM, operator -> target)
  AllowShellFileDown sz in a terminal session (ZMODEM, target -> operator)
  MaxFileUpSize      SFTP / scp: the largest file written, in bytes; 0 = no limit
  MaxFileDownSize    SFTP / scp: the largest file read, in bytes; 0 = no limit

Several ACLs may grant one login (access.authorize keeps every ACL in effect that names the
user and the device): a switch is on if any of them turns it on, and a size limit is the most
generous among the ACLs that allow that direction (any 0 among them: no limit). An ACL that
does not allow a direction does not limit it either.
"""
from dataclasses import dataclass
from typing import Iterable, Optional

# SearchFileResult / SearchFileBySidResult Method
UPLOAD, DOWNLOAD, DELETE, MOVE, RENAME, MKDIR, MOVE_DIR, RENAME_DIR, RMDIR = range(1, 10)
# ... and Action
ALLOWED, REFUSED = 1, 2
# Protocol of the records (SearchFileTypeFilter names SFTP/CLIP/RDP/RZSZ)
SFTP, SCP, RZSZ = "SFTP", "SCP", "RZSZ"


@dataclass(frozen=True)
class FilePolicy:
    up: bool = False
    down: bool = False
    delete: bool = False
    shell_up: bool = False
    shell_down: bool = False
    max_up: int = 0             # bytes; 0 = no limit
    max_down: int = 0

    @classmethod
    def of(cls, acls: Iterable[dict]) -> "FilePolicy":
        acls = list(acls)

        def limit(switch: str, size: str) -> int:
            sizes = [int(a.get(size) or 0) for a in acls if a.get(switch)]
            return 0 if not sizes or 0 in sizes else max(sizes)

        return cls(up=any(a.get("AllowFileUp") for a in acls), down=any(a.get("AllowFileDown") for a in acls),
                   delete=any(a.get("AllowFileDel") for a in acls),
                   shell_up=any(a.get("AllowShellFileUp") for a in acls),
                   shell_down=any(a.get("AllowShellFileDown") for a in acls),
                   max_up=limit("AllowFileUp", "MaxFileUpSize"), max_down=limit("AllowFileDown", "MaxFileDownSize"))

    # Each check answers None when allowed, else the refusal's message naming the rule.
    def upload(self, size: Optional[int] = None) -> Optional[str]:
        if not self.up:
            return "uploads are not allowed (AllowFileUp)"
        if size is not None and self.max_up and size > self.max_up:
            return f"{size} bytes is over the upload limit of {self.max_up} bytes (MaxFileUpSize)"
        return None

    def download(self, size: Optional[int] = None) -> Optional[str]:
        if not self.down:
            return "downloads are not allowed (AllowFileDown)"
        if size is not None and self.max_down and size > self.max_down:
            return f"{size} bytes is over the download limit of {self.max_down} bytes (MaxFileDownSize)"
        return None

    def remove(self) -> Optional[str]:
        return None if self.delete else "deleting is not allowed (AllowFileDel)"

    def modify(self) -> Optional[str]:
        """Changes to the target's files that are not deletions: mkdir, rename, attributes, links."""
        return None if self.up else "changing files is not allowed (AllowFileUp)"

    def shell(self, direction: str) -> Optional[str]:
        """rz/sz: direction "up" (rz, operator -> target) or "down" (sz, target -> operator)."""
        if direction == "up":
            return None if self.shell_up else "rz uploads are not allowed (AllowShellFileUp)"
        return None if self.shell_down else "sz downloads are not allowed (AllowShellFileDown)"


def rename_method(old: str, new: str, is_dir: bool) -> int:
    """A rename within one folder is a rename (5, 8 for a folder); into another folder a move (4, 7)."""
    same = _parent(old) == _parent(new)
    if is_dir:
        return RENAME_DIR if same else MOVE_DIR
    return RENAME if same else MOVE


def _parent(path: str) -> str:
    path = path.rstrip("/") or "/"
    return path.rsplit("/", 1)[0] if "/" in path else ""
