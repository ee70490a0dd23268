from django.urls import path

from waarborg.consent import pages, views

app_name = "consent"
urlpatterns = [
    path("privacy/cookies/banner.json", views.banner_config, name="config"),
    path("privacy/cookies/choice", views.choice, name="choice"),
    path("privacy/cookies/demo", views.demo, name="demo"),
    path("privacy/subscribe", pages.subscribe, name="subscribe"),
    path("privacy/subscribe/embed", pages.subscribe_embed, name="subscribe_embed"),
    path(
        "privacy/subscribe/confirm/<str:token>",
        pages.subscribe_confirmation,
        name="subscribe_confirm",
    ),
    path("privacy/unsubscribe/<str:token>", pages.unsubscribe, name="unsubscribe"),
]
