from django.urls import path

from huifang.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/print/", views.print_invitations, name="print"),
    path("<int:pk>/enter/", views.enter_paper, name="enter"),
    path("<int:pk>/letter/", views.letter, name="letter"),
    path("<int:pk>/letter.pdf", views.letter_pdf_view, name="letter_pdf"),
]
