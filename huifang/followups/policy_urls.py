from django.urls import path

from huifang.followups.views import policies

app_name = "policies"
urlpatterns = [
    path("", policies.policy_list, name="list"),
    path("apply/", policies.apply, name="apply"),
    path("<int:pk>/", policies.policy_edit, name="edit"),
    path("<int:pk>/copy/", policies.copy, name="copy"),
]
