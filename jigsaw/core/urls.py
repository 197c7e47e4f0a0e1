from django.urls import path

from jigsaw.casework.views.home import home
from jigsaw.core import views

app_name = "core"
urlpatterns = [
    path("", home, name="home"),  # the caseload: casework's page, at the service's root
    path("sign-in", views.sign_in, name="sign-in"),
    path("sign-in/code", views.sign_in_code, name="sign-in-code"),
    path("change-password", views.change_password, name="change-password"),
    path("sign-out", views.sign_out, name="sign-out"),
]
