from django.urls import path

from handoffs import views

app_name = "handoffs"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("mine/", views.my_leads, name="my_leads"),
    path("leads/<int:lead_pk>/activity/", views.log_activity, name="log_activity"),
    path("leads/<int:lead_pk>/stage/", views.change_stage, name="change_stage"),
]
