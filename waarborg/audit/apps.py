from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "waarborg.audit"
    label = "audit"
