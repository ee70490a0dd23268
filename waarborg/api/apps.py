from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "waarborg.api"
    label = "api"
