from django.urls import path

from jigsaw.identity import views

app_name = "identity"
urlpatterns = [
    path("people/search", views.search, name="search"),
    path("review", views.review_queue, name="review"),
    path("review/<int:item_id>", views.review_item, name="review-item"),
    path("people/<int:person_id>/merge", views.merge, name="merge"),
    path("decisions/<int:decision_id>/unmerge", views.unmerge, name="unmerge"),
]
