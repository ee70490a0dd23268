from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "waarborg.policy"
    label = "policy"
    verbose_name = "Policy"
