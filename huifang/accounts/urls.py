from django.urls import path

from huifang.accounts import views

app_name = "calendar"
urlpatterns = [
    path("", views.working_calendar, name="home"),
    path("remove/", views.remove, name="remove"),
]
