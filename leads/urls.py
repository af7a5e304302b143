from django.urls import path

from leads import views
from leads.imports import views as imports

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/merge/<int:other>/", views.lead_merge, name="merge"),
    path("import/", imports.import_upload, name="import"),
    path("import/<int:pk>/", imports.import_detail, name="import_detail"),
    path("import/<int:pk>/mapping/", imports.import_mapping, name="import_mapping"),
    path("import/<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("import/<int:pk>/errors.csv", imports.import_errors_csv, name="import_errors_csv"),
]
