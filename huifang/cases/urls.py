from django.urls import path

from huifang.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("board/", views.board, name="board"),
    path("board/group/", views.group, name="group"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("issues/<int:pk>/", views.issue_detail, name="issue"),
    path("issues/<int:pk>/edit/", views.issue_edit, name="issue_edit"),
    path("issues/<int:pk>/draft/", views.letter_draft, name="letter_draft"),
    path("letters/<int:pk>/", views.letter_page, name="letter"),
    path("letters/<int:pk>.pdf", views.letter_pdf, name="letter_pdf"),
    path("letters/<int:pk>/edit/", views.letter_edit, name="letter_edit"),
    path("letters/<int:pk>/publish/", views.letter_publish, name="letter_publish"),
    path("<int:pk>/", views.case_detail, name="detail"),
    # One action on a case: cases.machine.RULES names them (resolve, unresolvable, assign, verify, plan,
    # approve, reply, pause, resume, archive, check).
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
