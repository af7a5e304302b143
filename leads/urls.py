from django.urls import path

from leads import views
from leads.imports import views as imports
from leads.scoring.rules import views as rules

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/merge/<int:other>/", views.lead_merge, name="merge"),
    path("<int:pk>/comments/", views.lead_comment, name="comment"),
    path("import/", imports.import_upload, name="import"),
    path("import/<int:pk>/", imports.import_detail, name="import_detail"),
    path("import/<int:pk>/mapping/", imports.import_mapping, name="import_mapping"),
    path("import/<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("import/<int:pk>/errors.csv", imports.import_errors_csv, name="import_errors_csv"),
    path("rules/", rules.ruleset_list, name="rules"),
    path("rules/new/", rules.ruleset_new, name="rules_new"),
    path("rules/<int:pk>/", rules.ruleset_detail, name="rules_detail"),
    path("rules/<int:pk>/preview/", rules.ruleset_preview, name="rules_preview"),
    path("rules/<int:pk>/backtest/", rules.ruleset_backtest, name="rules_backtest"),
    path("rules/<int:pk>/activate/", rules.ruleset_activate, name="rules_activate"),
    path("rules/rescores/<int:job_pk>/", rules.rescore_progress, name="rules_rescore"),
]
