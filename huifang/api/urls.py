from django.urls import path

from huifang.api import views

app_name = "api-settings"
urlpatterns = [
    path("", views.settings_page, name="home"),
    path("tokens/", views.token_create, name="token-create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("webhooks/", views.subscription_create, name="subscription-create"),
    path("webhooks/<int:pk>/delete/", views.subscription_delete, name="subscription-delete"),
    path("deliveries/<int:pk>/redeliver/", views.redeliver, name="redeliver"),
]
