from django.urls import path

from huifang.accounts import views

app_name = "account"
urlpatterns = [
    path("account/password/", views.PasswordChange.as_view(), name="password"),
    path("account/password/done/", views.PasswordChangeDone.as_view(), name="password_done"),
    path("settings/lockouts/", views.lockouts, name="lockouts"),
    path("settings/lockouts/unlock/", views.unlock, name="unlock"),
]
