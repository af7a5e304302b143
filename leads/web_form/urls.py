"""The public web form of each campaign, mounted at ``/f/``; no login."""

from django.urls import path

from leads.web_form import views as public_views

app_name = "capture"
urlpatterns = [
    path("<str:form_key>/", public_views.capture_form, name="form"),
    path("<str:form_key>/thanks/", public_views.capture_thanks, name="thanks"),
    path("<str:form_key>/embed.js", public_views.embed_script, name="embed"),
]
