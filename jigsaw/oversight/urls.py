from django.urls import path

from jigsaw.oversight import views

app_name = "oversight"
urlpatterns = [
    path("analytics", views.analytics, name="analytics"),
]
