from django.urls import path

from huifang.followups.views import tasks, workbench

app_name = "followups"
urlpatterns = [
    # Supervisors' task lists (views/tasks.py).
    path("", tasks.task_list, name="list"),
    path("export/", tasks.export, name="export"),
    path("reassign/", tasks.reassign, name="reassign"),
    path("without/", tasks.unfollowed, name="unfollowed"),
    path("<int:pk>/", tasks.task_detail, name="detail"),
    path("<int:pk>/record/", tasks.record_attempt, name="record"),
    path("<int:pk>/reassign/", tasks.reassign_task, name="reassign-task"),
    # The agent's workbench (views/workbench.py); add workbench routes below this line.
    path("next/", workbench.claim_next, name="next"),
    path("<int:pk>/work/", workbench.work, name="work"),
    path("<int:pk>/script/", workbench.script, name="script"),
    path("<int:pk>/attempt/", workbench.attempt, name="attempt"),
    path("<int:pk>/release/", workbench.release, name="release"),
    path("<int:pk>/reveal/", workbench.reveal, name="reveal"),
    path("closing/", workbench.closing, name="closing"),
]
