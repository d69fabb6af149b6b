"""Who may do what in the staff console: a pure matrix, derived from the PKH call-center chain.

The seed's chain is receive -> register -> verify -> classify -> handle or refer -> resolve and tell
the complainant -> follow up, with these roles:

| action            | officer | verifier | technical | supervisor | admin |
|-------------------|:-------:|:--------:|:---------:|:----------:|:-----:|
| view_complaints   |    x    |    x     |     x     |     x      |       |
| classify          |    x    |    x     |           |     x      |       |
| assign            |         |          |           |     x      |       |
| refer             |    x    |    x     |     x     |     x      |       |
| note              |    x    |    x     |     x     |     x      |       |
| resolve           |    x    |    x     |     x     |     x      |       |
| close             |    x    |          |           |     x      |       |
| reopen            |         |          |           |     x      |       |
| escalate          |    x    |    x     |     x     |     x      |       |
| view_submissions  |    x    |    x     |           |     x      |       |
| review            |         |    x     |           |     x      |       |
| set_disbursement  |         |          |           |     x      |       |
| view_identity     |         |    x     |           |     x      |       |
| view_monitoring   |         |          |           |     x      |   x   |
| export            |         |          |           |     x      |   x   |
| manage_users      |         |          |           |            |   x   |

Why: the call-center officer receives, registers, classifies, routes and answers; the
verification team checks data and documents (so it reviews submissions and sees full NIKs); the
technical team handles system problems referred to it; the supervisor directs work (assigns),
takes escalations and overdue cases, reopens, and watches the numbers; the admin manages accounts
and reads the monitoring, but handles no case (separation of duties).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"  # petugas call center
    VERIFIER = "verifier"  # tim verifikasi data
    TECHNICAL = "technical"  # tim teknis
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Action(StrEnum):
    VIEW_COMPLAINTS = "view_complaints"
    CLASSIFY = "classify"
    ASSIGN = "assign"
    REFER = "refer"
    NOTE = "note"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    VIEW_SUBMISSIONS = "view_submissions"
    REVIEW = "review"
    SET_DISBURSEMENT = "set_disbursement"
    VIEW_IDENTITY = "view_identity"
    VIEW_MONITORING = "view_monitoring"
    EXPORT = "export"
    MANAGE_USERS = "manage_users"


_O, _V, _T, _S, _A = Role.OFFICER, Role.VERIFIER, Role.TECHNICAL, Role.SUPERVISOR, Role.ADMIN
_HANDLERS = frozenset({_O, _V, _T, _S})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_COMPLAINTS: _HANDLERS,
    Action.CLASSIFY: frozenset({_O, _V, _S}),
    Action.ASSIGN: frozenset({_S}),
    Action.REFER: _HANDLERS,
    Action.NOTE: _HANDLERS,
    Action.RESOLVE: _HANDLERS,
    Action.CLOSE: frozenset({_O, _S}),
    Action.REOPEN: frozenset({_S}),
    Action.ESCALATE: _HANDLERS,
    Action.VIEW_SUBMISSIONS: frozenset({_O, _V, _S}),
    Action.REVIEW: frozenset({_V, _S}),
    Action.SET_DISBURSEMENT: frozenset({_S}),
    Action.VIEW_IDENTITY: frozenset({_V, _S}),
    Action.VIEW_MONITORING: frozenset({_S, _A}),
    Action.EXPORT: frozenset({_S, _A}),
    Action.MANAGE_USERS: frozenset({_A}),
}


def allowed(role: Role | str, action: Action | str) -> bool:
    """True when `role` may do `action`; an unknown role or action is never allowed."""
    try:
        return Role(role) in PERMISSIONS[Action(action)]
    except (ValueError, KeyError):
        return False


def actions_of(role: Role | str) -> frozenset[Action]:
    """Everything `role` may do (the console shows only these)."""
    return frozenset(action for action in Action if allowed(role, action))
