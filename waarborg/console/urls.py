from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.views.generic import RedirectView

from waarborg.console import billing, campaigns, mfa, requests, retention, views

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
    path("retention", retention.overview, name="retention"),
    path("retention/certificates/<int:run_id>", retention.certificate, name="certificate"),
    path(
        "retention/certificates/<int:run_id>.<str:fmt>",
        retention.certificate,
        name="certificate_export",
    ),
    path("invoices", billing.invoices, name="invoices"),
    path("invoices/<str:number>", billing.invoice, name="invoice"),
    path("handovers", billing.handovers, name="handovers"),
    path("handovers/<uuid:handover_id>", billing.handover, name="handover"),
    path(
        "handovers/<uuid:handover_id>/approve", billing.handover_approval, name="handover_approve"
    ),
    path(
        "handovers/<uuid:handover_id>/export.<str:kind>.age",
        billing.handover_export,
        name="handover_export",
    ),
    path("disclosures", billing.disclosures, name="disclosures"),
    path("requests", requests.request_list, name="requests"),
    path("requests/<str:reference>", requests.request_page, name="request"),
    path("requests/<str:reference>/classify", requests.request_classify_view, name="classify"),
    path("requests/<str:reference>/extend", requests.request_extend_view, name="extend"),
    path("requests/<str:reference>/refuse", requests.request_refuse_view, name="refuse"),
    path("campaigns", campaigns.index, name="campaigns"),
    path("campaigns/new", campaigns.write, name="campaign_new"),
    path("campaigns/<int:campaign_id>", campaigns.show, name="campaign"),
    path("campaigns/<int:campaign_id>/edit", campaigns.write, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/send", campaigns.send, name="campaign_send"),
    # The same pages typed with a trailing slash.
    re_path(
        r"^(?P<page>login|search|register|requests)/$",
        RedirectView.as_view(url="/console/%(page)s", query_string=True, permanent=True),
    ),
]
