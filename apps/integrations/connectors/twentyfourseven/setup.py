"""24SevenOffice's part of the first-time setup (`spec.setup`): its project roles and the
project participants whose contact is not mapped to a Tidsbro user."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


class TwentyFourSevenSetup:
    def project_roles(self, connector: Any) -> list[str]:
        """GetProjectRoles: every role's name (one request)."""
        return [role.name for role in connector.client.get_project_roles()]

    def unmapped_members(self, connection: Any, connector: Any) -> list[tuple[str, str, int]]:
        """Members (participating or initiator) of the bound projects whose contact no Tidsbro
        user is mapped to: (contact id, name, number of projects), by contact id."""
        from apps.integrations.connectors.twentyfourseven.mappers import is_member
        from apps.integrations.connectors.twentyfourseven.pull import (
            _participants,
            mapped_contacts,
        )

        mapped = mapped_contacts(connection)
        projects: dict[str, set[int]] = defaultdict(set)
        names: dict[str, str] = {}
        for p in _participants(connector, None):
            if is_member(p) and str(p.contact_id) not in mapped:
                projects[str(p.contact_id)].add(p.project_id)
                names[str(p.contact_id)] = p.name
        return sorted(
            ((c, names[c], len(ids)) for c, ids in projects.items()), key=lambda x: int(x[0])
        )
