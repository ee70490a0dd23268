from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "waarborg.intake"
    label = "intake"
