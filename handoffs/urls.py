from django.urls import path

from handoffs import views
from handoffs.routing import views as routing

app_name = "handoffs"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("claim-next/", views.claim_next, name="claim_next"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/reassign/", views.reassign, name="reassign"),
    path("mine/", views.my_leads, name="my_leads"),
    path("leads/<int:lead_pk>/activity/", views.log_activity, name="log_activity"),
    path("leads/<int:lead_pk>/stage/", views.change_stage, name="change_stage"),
    path("routing/", routing.rule_list, name="routing"),
    path("routing/new/", routing.rule_edit, name="routing_new"),
    path("routing/<int:pk>/", routing.rule_edit, name="routing_edit"),
    path("routing/<int:pk>/move/", routing.rule_move, name="routing_move"),
    path("routing/<int:pk>/delete/", routing.rule_delete, name="routing_delete"),
    path("hours/", routing.calendar, name="calendar"),
    path("team/", routing.team, name="team"),
    path("team/<int:user_pk>/", routing.availability, name="availability"),
]
