from django.contrib.auth import views as auth_views
from django.urls import path

from alignment import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("agreement/", views.agreement, name="agreement"),
    path("agreement/propose/", views.agreement_propose, name="agreement_propose"),
    path("agreement/<int:pk>/approve/", views.agreement_approve, name="agreement_approve"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
