from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/costs/", views.cost_add, name="add_cost"),
    path("<int:pk>/activate/", views.campaign_activate, name="activate"),
    path("<int:pk>/archive/", views.campaign_archive, name="archive"),
    path("<int:pk>/delete/", views.campaign_delete, name="delete"),
]
