from django.urls import path

from waarborg.consent import pages, views

app_name = "consent"
urlpatterns = [
    path("privacy/cookies/banner.json", views.banner_config, name="config"),
    path("privacy/cookies/choice", views.choice, name="choice"),
    path("privacy/cookies/demo", views.demo, name="demo"),
    path("privacy/unsubscribe/<str:token>", pages.unsubscribe, name="unsubscribe"),
]
