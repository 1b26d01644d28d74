from django.urls import path

from huifang.visits import views

app_name = "visits"

urlpatterns = [
    path("", views.home, name="home"),
    path("plans/", views.plans, name="plans"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("promises/", views.promises, name="promises"),
    path("promises/<int:pk>/kept/", views.keep_promise, name="keep_promise"),
    path("deals/", views.deals, name="deals"),
    path("deals/<int:pk>/", views.deal, name="deal"),
    path("lost/", views.lost, name="lost"),
    path("week/", views.week, name="week"),
    path("report/", views.report, name="report"),
]
