"""Every family the search store holds: what the local stack and `guardzone audit templates`
make it ready for."""
from typing import List

from layers.search.query import Family


def all_families() -> List[Family]:
    from layers.audit.config import audit_settings
    from layers.audit.document import family
    from layers.bastion import login_events, sessions
    from layers.bastion.session_log import FAMILIES
    return [family(audit_settings().index_prefix), *FAMILIES.values(), sessions.FAMILY, login_events.FAMILY]
