from django.urls import path

from jigsaw.access import views

app_name = "access"
urlpatterns = [
    path("break-glass/review", views.break_glass_reviews, name="break-glass-review"),
    path("break-glass/<int:person_id>", views.break_glass, name="break-glass"),
    path("notifications", views.notifications, name="notifications"),
    path("staff", views.staff, name="staff"),
    path("staff/<str:username>/disable", views.staff_disable, name="staff-disable"),
]
