from __future__ import annotations

from django.urls import path

from . import views

app_name = "teams"
urlpatterns = [
    path("", views.team_index, name="list"),
    path("<int:pk>/", views.team_detail, name="detail"),
    path("<int:pk>/members/", views.membership_add, name="membership_add"),
    path("<int:pk>/members/<int:user_id>/remove/", views.membership_delete, name="membership_remove"),
]
