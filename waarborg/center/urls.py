from django.urls import path

from waarborg.center import choices, downloads, views

app_name = "center"
urlpatterns = [
    path("privacy/center", views.home, name="home"),
    path("privacy/center/filed/<str:reference>", views.filed, name="filed"),
    path("privacy/center/confirm/<str:reference>/<str:code>", views.confirm, name="confirm"),
    path("privacy/center/status/<str:reference>/<str:code>", views.status, name="status"),
    path("privacy/center/download/<str:reference>/<str:code>", downloads.download, name="download"),
    path("privacy/center/choices", choices.choices, name="choices"),
    path("privacy/center/choices/link", choices.ask, name="choices_link"),
    path("privacy/center/choices/sent", choices.sent, name="choices_sent"),
    path("privacy/center/choices/open/<str:code>", choices.open_link, name="choices_open"),
    path("privacy/center/choices/end", choices.end, name="choices_end"),
]
