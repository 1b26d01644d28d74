from django.urls import path

from huifang.audits import views

app_name = "audits"

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/<int:pk>/start/", views.start, name="start"),
    path("draws/<int:pk>/", views.draw, name="draw"),
    path("discrepancies/", views.discrepancies, name="discrepancies"),
    path("discrepancies/<int:pk>/", views.discrepancy, name="discrepancy"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/submit/", views.submit_day, name="submit"),
    path("reviews/extend/", views.extend, name="extend"),
    path("reviews/<int:pk>/", views.review, name="review"),
    path("bulletins/", views.bulletins, name="bulletins"),
    path("bulletins/<int:pk>/", views.bulletin, name="bulletin"),
    path("bulletins/<int:pk>/pdf/", views.bulletin_pdf, name="bulletin_pdf"),
    path("assessment/", views.assessment, name="assessment"),
]
