from django.urls import path

from waarborg.center import downloads, views

app_name = "center"
urlpatterns = [
    path("privacy/center", views.home, name="home"),
    path("privacy/center/filed/<str:reference>", views.filed, name="filed"),
    path("privacy/center/confirm/<str:reference>/<str:code>", views.confirm, name="confirm"),
    path("privacy/center/status/<str:reference>/<str:code>", views.status, name="status"),
    path("privacy/center/download/<str:reference>/<str:code>", downloads.download, name="download"),
]
