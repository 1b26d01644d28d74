from django.urls import path

from huifang.followups.views import policies, policy_editor, questionnaire_editor

app_name = "policies"
urlpatterns = [
    path("", policies.policy_list, name="list"),
    path("apply/", policies.apply, name="apply"),
    path("new/", policy_editor.policy_new, name="new"),
    path("new/recurring/", policy_editor.recurring_new, name="new_recurring"),
    path("<int:pk>/", policies.policy_edit, name="edit"),
    path("<int:pk>/copy/", policies.copy, name="copy"),
    path("<int:pk>/editor/", policy_editor.policy_editor, name="editor"),
    path("<int:pk>/toggle/", policy_editor.toggle, name="toggle"),
    path("questionnaires/", questionnaire_editor.questionnaire_list, name="questionnaires"),
    path("questionnaires/<str:key>/", questionnaire_editor.questionnaire_edit, name="questionnaire"),
]
