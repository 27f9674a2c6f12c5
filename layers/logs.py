"""Where the guardzone.* loggers write, and from which level (GZ_LOG_LEVEL, default INFO).

Chalice gives the app's logger ("guardzone", the parent of every guardzone.* logger) a stdout
handler of its own, level ERROR and propagate=False: every operational warning would be lost.
configure() hands the records to the root logger's handler instead, so each line is written
once, by whatever the process set up: Lambda's (timestamp, request id, its JSON format when
chosen), the local stack's and `chalice local`'s basicConfig, pytest's capture. A process that
set up nothing gets one stderr handler.
"""
import logging
import traceback

from layers.config import settings

NAME = "guardzone"
_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def configure() -> logging.Logger:
    log = logging.getLogger(NAME)
    for handler in list(log.handlers):
        log.removeHandler(handler)
    log.propagate = True
    if not logging.getLogger().handlers:
        logging.basicConfig(format=_FORMAT)
    level = settings().log_level
    try:
        log.setLevel(level)
    except (TypeError, ValueError):     # a wrong setting must not stop the service
        log.setLevel(logging.INFO)
        log.warning("GZ_LOG_LEVEL=%r is not a logging level; INFO is used", level)
    return log


def where(exc: BaseException, frames: int = 12) -> str:
    """An exception as a log line may show it: its type and last frames, not its message (a
    library's message may quote a request's values: a parameter, a command, a password)."""
    stack = traceback.TracebackException.from_exception(exc, limit=-frames).stack.format()
    return f"{type(exc).__name__}\n" + "".join(stack)
