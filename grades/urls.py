from django.urls import path

from . import views

app_name = "grades"

urlpatterns = [
    path("tracks/", views.track_list, name="track_list"),
    path("tracks/<slug:slug>/", views.track_detail, name="track_detail"),
    path("me/", views.me, name="me"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/trail/", views.person_trail, name="person_trail"),
    path("people/<int:pk>/claim/<int:requirement_pk>/", views.claim, name="claim"),
    path("evidence/<int:pk>/edit/", views.evidence_edit, name="evidence_edit"),
    path("evidence/<int:pk>/withdraw/", views.evidence_withdraw, name="evidence_withdraw"),
    path("evidence/<int:pk>/decide/", views.evidence_decide, name="evidence_decide"),
]
