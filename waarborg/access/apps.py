from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "waarborg.access"
    label = "access"
