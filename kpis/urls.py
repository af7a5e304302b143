from django.urls import path

from kpis import views

app_name = "kpis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("calibration/", views.calibration_report, name="calibration"),
    path("calibration/propose/", views.calibration_propose, name="calibration_propose"),
]
