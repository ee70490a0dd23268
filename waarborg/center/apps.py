from django.apps import AppConfig


class CenterConfig(AppConfig):
    name = "waarborg.center"
    label = "center"
    verbose_name = "Privacy center"
