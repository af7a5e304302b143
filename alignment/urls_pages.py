from django.contrib.auth import views as auth_views
from django.urls import path

from alignment import accounts, views, views_webhooks
from alignment.views_tokens import api_tokens

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(form_class=accounts.LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        accounts.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("account/tokens/", api_tokens, name="api_tokens"),
    path("agreement/", views.agreement, name="agreement"),
    path("agreement/propose/", views.agreement_propose, name="agreement_propose"),
    path("agreement/<int:pk>/approve/", views.agreement_approve, name="agreement_approve"),
    path("webhooks/", views_webhooks.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/", views_webhooks.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/ping/", views_webhooks.webhook_ping, name="webhook_ping"),
    path("webhooks/<int:pk>/delete/", views_webhooks.webhook_delete, name="webhook_delete"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views_webhooks.webhook_redeliver,
        name="webhook_redeliver",
    ),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
