"""Which screens a role may open, and the console's routes ("/complaints/7KQ2ZB-000123-M")."""

from __future__ import annotations

from dataclasses import dataclass

from sync.server.staff.roles import Action, Role, allowed


@dataclass(frozen=True)
class Route:
    """A screen and, for a case screen, the register number it shows."""

    path: str
    number: str | None = None

    @property
    def target(self) -> str:
        return f"{self.path}/{self.number}" if self.number else self.path


@dataclass(frozen=True)
class Screen:
    route: str
    label_key: str
    action: Action  # the action a role needs to open the screen


SCREENS = (
    Screen("/complaints", "console.nav.complaints", Action.VIEW_COMPLAINTS),
    Screen("/review", "console.nav.review", Action.VIEW_SUBMISSIONS),
    Screen("/monitoring", "console.nav.monitoring", Action.VIEW_MONITORING),
    Screen("/users", "console.nav.users", Action.MANAGE_USERS),
)


def parse_route(target: str) -> Route:
    path, _, number = target.strip().rstrip("/").partition("/")[2].partition("/")
    return Route(f"/{path}" if path else "/signin", number or None)


def screens_for(role: Role | str) -> list[Screen]:
    """The screens `role` may open, in the order of the top bar."""
    return [screen for screen in SCREENS if allowed(Role(role), screen.action)]


def home_route(role: Role | str) -> str:
    """Where a role lands after signing in: its first screen (sign-in when it has none)."""
    screens = screens_for(role)
    return screens[0].route if screens else "/signin"
