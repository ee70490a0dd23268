from django.urls import path

from waarborg.policy import views

app_name = "policy"
urlpatterns = [
    path("privacy", views.statement, name="statement"),
    path("privacy/versions", views.versions, name="versions"),
    path("privacy/versions/compare", views.compare, name="compare"),
    path("privacy/versions/<str:digest>", views.version_detail, name="version"),
]
