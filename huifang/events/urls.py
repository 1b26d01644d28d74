from django.urls import path

from huifang.events import views

app_name = "events"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.preview, name="preview"),
    path("<int:pk>/validate/", views.validate, name="validate"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/discard/", views.discard, name="discard"),
]
