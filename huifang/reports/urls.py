from django.urls import path

from huifang.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("agents/", views.agents, name="agents"),
    path("agents/<int:pk>/", views.agent, name="agent"),
    path("me/", views.mine, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("export/", views.export, name="export"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/<int:pk>/delete/", views.unsubscribe, name="unsubscribe"),
]
