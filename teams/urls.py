from __future__ import annotations

from django.urls import path

from . import views

app_name = "teams"
urlpatterns = [
    path("", views.team_index, name="list"),
    path("<int:pk>/", views.team_detail, name="detail"),
    path("<int:pk>/members/", views.membership_add, name="membership_add"),
    path("<int:pk>/members/<int:user_id>/remove/", views.membership_delete, name="membership_remove"),
    path("<int:pk>/chat/", views.team_chat, name="chat"),
    path("<int:pk>/chat/<int:channel_id>/<slug:action>/", views.chat_channel_action, name="chat_channel_action"),
]
