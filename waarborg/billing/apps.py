from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "waarborg.billing"
    label = "billing"
    verbose_name = "Invoices and collection"
