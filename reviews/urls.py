from django.urls import path

from common import converters  # noqa: F401  (registers <id:…>)

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<id:pk>/", views.session_detail, name="session"),
    path("sessions/<id:pk>/summary/", views.session_summary, name="session_summary"),
    path("request/<id:employee_pk>/", views.request_review, name="request"),
    path("<id:pk>/", views.review_detail, name="detail"),
    path("<id:pk>/schedule/", views.schedule, name="schedule"),
    path("<id:pk>/vote/", views.vote, name="vote"),
    path("<id:pk>/decide/", views.decide, name="decide"),
    path("<id:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<id:pk>/statement/", views.statement, name="statement"),
    # Team relations (criterion 3): assessments, colleague feedback.
    path("<id:pk>/relations/<slug:role>/", views.relations_assess, name="relations_assess"),
    path("<id:pk>/feedback/ask/", views.feedback_ask, name="feedback_ask"),
    path("feedback/<id:pk>/", views.feedback, name="feedback"),
    path("feedback/<id:pk>/answer/", views.feedback_answer, name="feedback_answer"),
    path("feedback/<id:pk>/withdraw/", views.feedback_withdraw, name="feedback_withdraw"),
]
