"""A local stack for one part of a benchmark; several, one after the other, in one process."""
from contextlib import contextmanager


@contextmanager
def local_stack(search: str, **options):
    """LocalStack(search=...) started on free ports, stopped on leaving."""
    from infra.local_stack import LocalStack
    from layers.gateway.http import set_gateway
    stack = LocalStack(port=0, search=search, **options).start()
    try:
        yield stack
    finally:
        stack.stop()
        set_gateway(None)       # its audit emitter is closed: the next stack's requests get a new one
