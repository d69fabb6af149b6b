"""The one-question satisfaction survey: five labelled faces, one tap, a thank-you, back to start."""

from __future__ import annotations

from typing import Any

import flet as ft

from kiosk.bootstrap import Kiosk
from kiosk.errors import KioskError
from kiosk.services.survey import SCORES, record_survey_answer
from kiosk.views.selfcheck import (
    FlowScreen,
    Navigate,
    Step,
    big_button,
    heading,
    message_for,
    route_for,
)

FACES = {
    1: ft.Icons.SENTIMENT_VERY_DISSATISFIED,
    2: ft.Icons.SENTIMENT_DISSATISFIED,
    3: ft.Icons.SENTIMENT_NEUTRAL,
    4: ft.Icons.SENTIMENT_SATISFIED,
    5: ft.Icons.SENTIMENT_VERY_SATISFIED,
}


class SurveyScreen(FlowScreen):
    def __init__(self, kiosk: Kiosk, navigate: Navigate, language: str, *, flow: str) -> None:
        self.flow = flow
        super().__init__(kiosk, navigate, language)

    def build(self, step: Step) -> list[ft.Control]:
        if step.name == "thanks":
            return [
                heading(self.t("selfcheck.survey.thanks")),
                big_button(
                    self.t("selfcheck.home"),
                    lambda _: self.navigate(route_for("/selfcheck", self.language)),
                ),
            ]
        return [
            heading(self.t("selfcheck.survey.question")),
            self.language_switch(),
            *[
                big_button(
                    f"{score} · {self.t(f'selfcheck.survey.score_{score}')}",
                    self.answer(score),
                    icon=FACES[score],
                    primary=False,
                )
                for score in SCORES
            ],
            self.alert(step.state.get("error", "")),
            big_button(
                self.t("selfcheck.skip"),
                lambda _: self.navigate(route_for("/selfcheck", self.language)),
                primary=False,
            ),
        ]

    def answer(self, score: int) -> Any:
        def handler(_: Any) -> None:
            try:
                record_survey_answer(self.kiosk, score, flow=self.flow, language=self.language)
            except KioskError as exc:
                self.show("start", error=message_for(exc, self.language))
                return
            self.show("thanks")

        return handler
