from django.urls import path

from huifang.events import views

app_name = "events"
urlpatterns = [
    path("", views.upload, name="upload"),
]
