from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "waarborg.vault"
    label = "vault"
