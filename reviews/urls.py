from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("request/<int:employee_pk>/", views.request_review, name="request"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
