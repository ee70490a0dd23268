from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "waarborg.console"
    label = "console"
