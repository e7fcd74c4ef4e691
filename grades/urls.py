from django.urls import path

from common import converters  # noqa: F401  (registers <id:…>)

from . import views

app_name = "grades"

urlpatterns = [
    path("tracks/", views.track_list, name="track_list"),
    path("tracks/<slug:slug>/", views.track_detail, name="track_detail"),
    path("tracks/<slug:slug>/versions/", views.track_versions, name="track_versions"),
    path("me/", views.me, name="me"),
    path("people/", views.people, name="people"),
    path("people/<id:pk>/", views.person, name="person"),
    path("people/<id:pk>/trail/", views.person_trail, name="person_trail"),
    path("people/<id:pk>/delivery/", views.delivery, name="delivery"),
    path("people/<id:pk>/claim/<id:requirement_pk>/", views.claim, name="claim"),
    path("people/<id:pk>/claim/<id:requirement_pk>/form/", views.claim_form, name="claim_form"),
    path("people/<id:pk>/requirements/<id:requirement_pk>/history/", views.claim_history, name="claim_history"),
    path("evidence/<id:pk>/edit/", views.evidence_edit, name="evidence_edit"),
    path("evidence/<id:pk>/withdraw/", views.evidence_withdraw, name="evidence_withdraw"),
    path("evidence/<id:pk>/decide/", views.evidence_decide, name="evidence_decide"),
    path("evidence/<id:pk>/reconfirm/", views.evidence_reconfirm, name="evidence_reconfirm"),
    path("people/<id:pk>/books/<id:book_pk>/read/", views.book_read, name="book_read"),
    path("people/<id:pk>/books/<id:book_pk>/read/form/", views.book_read_form, name="book_read_form"),
    path("readings/<id:pk>/unmark/", views.reading_unmark, name="reading_unmark"),
    path("readings/<id:pk>/acknowledge/", views.reading_acknowledge, name="reading_acknowledge"),
    path("people/<id:pk>/plan/<id:requirement_pk>/", views.goal_add, name="goal_add"),
    path("people/<id:pk>/plan/<id:requirement_pk>/form/", views.goal_form, name="goal_form"),
    path("goals/<id:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<id:pk>/done/", views.goal_done, name="goal_done"),
]
