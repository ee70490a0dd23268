from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "waarborg.consent"
    label = "consent"
    verbose_name = "Consent"
