"""设置 › 回访规则 › 抽查抽访: the audit levels in the policy editor (keyed by their follow-up
policy, as the policy pages are)."""

from django.urls import path

from huifang.audits import policy_views

app_name = "audit_policies"
urlpatterns = [
    path("new/", policy_views.audit_new, name="new"),
    path("<int:pk>/editor/", policy_views.audit_editor, name="editor"),
    path("<int:pk>/copy/", policy_views.audit_copy, name="copy"),
    path("<int:pk>/toggle/", policy_views.audit_toggle, name="toggle"),
]
