from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "waarborg.rights"
    label = "rights"
    verbose_name = "Data-subject requests"
