from django.urls import path

from huifang.web import views

app_name = "web"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/handover/", views.handover, name="handover"),
    path("settings/health/", views.health, name="health"),
    path("healthz", views.healthz, name="healthz"),
]
