from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "waarborg.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
