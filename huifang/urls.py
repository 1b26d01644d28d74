from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from huifang.api.main import api
from huifang.campaigns.views import survey
from huifang.web.views import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico whatever the page links; the icon is the static SVG.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    # For administrators: staff accounts, units, unlocking locked-out logins (axes). Customer data
    # is deliberately not registered there: it would show full phone numbers without an audit.
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("customers/", include("huifang.customers.urls")),
    path("followups/", include("huifang.followups.urls")),
    path("cases/", include("huifang.cases.urls")),
    path("audits/", include("huifang.audits.urls")),
    path("visits/", include("huifang.visits.urls")),
    path("settings/imports/", include("huifang.events.urls")),
    path("settings/policies/audit/", include("huifang.audits.policy_urls")),
    path("settings/policies/", include("huifang.followups.policy_urls")),
    path("settings/calendar/", include("huifang.accounts.urls")),
    path("settings/api/", include("huifang.api.urls")),
    path("reports/", include("huifang.reports.urls")),
    path("campaigns/", include("huifang.campaigns.urls")),
    path("messages/", include("huifang.messaging.urls")),
    # The households' survey page: public, the code is the key (no personal data in the URL).
    path("s/<str:code>/", survey, name="survey"),
    path("", include("huifang.accounts.account_urls")),
    path("", include("huifang.web.urls")),
]
