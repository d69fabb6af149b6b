"""Which view draws which route."""

from __future__ import annotations

from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models.navigation import Route
from sync.server.console.views.complaint_case import complaint_case_view
from sync.server.console.views.complaints import complaints_view
from sync.server.console.views.monitoring import monitoring_view
from sync.server.console.views.review import review_view
from sync.server.console.views.signin import signin_view
from sync.server.console.views.submission_case import submission_case_view
from sync.server.console.views.users import users_view


def build(route: Route, ctx: ConsoleContext, navigate: Any, session: Any) -> ft.Control:
    if route.path == "/complaints":
        if route.number:
            return complaint_case_view(ctx, navigate, route.number)
        return complaints_view(ctx, navigate, session.save_csv)
    if route.path == "/review":
        if route.number:
            return submission_case_view(ctx, navigate, route.number)
        return review_view(ctx, navigate)
    if route.path == "/monitoring":
        return monitoring_view(ctx, session.save_csv)
    if route.path == "/users":
        return users_view(ctx)
    return signin_view(ctx, navigate, session.sign_in)
