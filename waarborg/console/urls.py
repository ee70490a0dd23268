from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.views.generic import RedirectView

from waarborg.console import campaigns, mfa, views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.Login.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("login/code", mfa.verify, name="verify"),
    path("two-step", mfa.enrol, name="enrol"),
    path("search", views.search, name="search"),
    path("subjects/<uuid:subject_id>", views.subject, name="subject"),
    path("register", views.register, name="register"),
    path("campaigns", campaigns.index, name="campaigns"),
    path("campaigns/new", campaigns.write, name="campaign_new"),
    path("campaigns/<int:campaign_id>", campaigns.show, name="campaign"),
    path("campaigns/<int:campaign_id>/edit", campaigns.write, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/send", campaigns.send, name="campaign_send"),
    # The same pages typed with a trailing slash.
    re_path(
        r"^(?P<page>login|search|register)/$",
        RedirectView.as_view(url="/console/%(page)s", query_string=True, permanent=True),
    ),
]
