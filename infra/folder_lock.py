"""One process at a time on a state folder: two writers would each overwrite the other's
snapshots. An flock, which the kernel lets go when its holder dies, SIGKILL included."""
import fcntl
import os
import time


class FolderBusy(Exception):
    """Another process holds the folder."""


def hold(folder: str, wait: float = 0.0) -> int:
    """Lock the folder for this process's lifetime (returns the descriptor to keep open),
    waiting up to `wait` seconds for a holder that is on its way out."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(folder, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise FolderBusy(f"{folder} is in use by another process") from None
            time.sleep(0.1)


def busy(folder: str) -> bool:
    """Whether a process holds the folder now."""
    if not os.path.isdir(folder):
        return False
    try:
        os.close(hold(folder))
        return False
    except FolderBusy:
        return True
