from django.urls import path

from huifang.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("flags/", views.flag_queue, name="flags"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/flags/", views.flag_problem, name="flag"),
    path("<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("<int:pk>/flags/<int:flag_pk>/recheck/", views.recheck_flag, name="recheck"),
]
