from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "waarborg.core"
    label = "core"
