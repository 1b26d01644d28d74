from django.urls import path

from huifang.messaging import views

app_name = "messaging"

urlpatterns = [
    path("milestones/", views.milestones, name="milestones"),
    path("preferences/", views.preferences, name="preferences"),
    # The vendors' delivery-receipt pushes: public (no session), a shared secret in the address.
    path("receipts/aliyun/", views.receipts_aliyun, name="receipts_aliyun"),
    path("receipts/tencent/", views.receipts_tencent, name="receipts_tencent"),
]
