from django.urls import path

from jigsaw.records import views

app_name = "records"
urlpatterns = [
    path("agencies", views.agencies, name="agencies"),
    path("agencies/<str:code>", views.agency, name="agency"),
    path("chronology", views.chronology, name="chronology"),
]
