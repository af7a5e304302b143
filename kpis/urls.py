from django.urls import path

from kpis import views, views_goals

app_name = "kpis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("section/<slug:name>/", views.dashboard_section, name="section"),
    path("export/<slug:table>.csv", views.dashboard_export, name="export"),
    path("calibration/", views.calibration_report, name="calibration"),
    path("calibration/propose/", views.calibration_propose, name="calibration_propose"),
    path("goals/", views_goals.goal_list, name="goals"),
    path("goals/<int:pk>/edit/", views_goals.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/delete/", views_goals.goal_delete, name="goal_delete"),
]
