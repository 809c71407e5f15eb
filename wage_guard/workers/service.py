"""Revealing a worker's full ID number and bank cards (RELIABILITY 24).

Every response of wage_guard masks them; an inspector granted reveal (or an admin) may see
one worker of a project in full, naming why, and each reveal writes an access-log row.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal, log_access
from wage_guard.errors import Conflict, InvalidInput, NotFound
from wage_guard.projects import repository
from wage_guard.workers.schemas import MASKED_ID, WorkerIdentity


def reveal_worker(
    session: Session,
    *,
    project_code: str,
    id_number_masked: str,
    name: str,
    reason: str,
    principal: Principal,
) -> WorkerIdentity:
    """The worker on the project's roster or payroll whose ID has the masked one's first 6
    and last 4 characters and whose name is ``name``, in full. ``Forbidden`` without the
    reveal permission; ``NotFound`` for a project outside the caller's scope or no such
    worker; ``Conflict`` when the mask and name fit more than one worker."""
    principal.require(Permission.REVEAL)
    masked, name, reason = id_number_masked.strip().upper(), name.strip(), reason.strip()
    if not re.fullmatch(MASKED_ID, masked):
        raise InvalidInput("id_number_masked is written like 120101********123X")
    if not name or not reason:
        raise InvalidInput("a reveal needs the worker's name and a reason")
    project = repository.get_by_code(
        session,
        code=project_code,
        districts_scope=principal.districts_scope,
        credit_codes_scope=principal.credit_codes_scope,
    )
    if project is None:
        raise NotFound(f"project {project_code!r} not found")
    # The 8 hidden characters as single-character wildcards; the rest, digits or X, as is.
    pattern = f"{masked[:6]}{'_' * 8}{masked[-4:]}"
    matches = repository.workers_matching(
        session, project_id=project.id, id_pattern=pattern, name=name
    )
    if not matches:
        raise NotFound(f"no worker {name} with ID {masked} on project {project_code!r}")
    if len(matches) > 1:
        raise Conflict(
            f"{len(matches)} workers named {name} with an ID matching {masked} are on project "
            f"{project_code!r}; the mask does not tell them apart"
        )
    id_number = matches[0]
    cards = repository.bank_cards_of(session, project_id=project.id, id_number=id_number)
    log_access(
        session,
        principal=principal,
        action="reveal",
        object_type="worker",
        object_id=masked,
        reason=reason,
        details={"project": project_code},
    )
    return WorkerIdentity(
        project_code=project.code, name=name, id_number=id_number, bank_cards=cards
    )
