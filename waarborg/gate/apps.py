from django.apps import AppConfig


class GateConfig(AppConfig):
    name = "waarborg.gate"
    label = "gate"
