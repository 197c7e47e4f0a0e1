from django.urls import path

from jigsaw.casework.views import child, chronology, flags, mash, team, visit

app_name = "casework"
urlpatterns = [
    path("team", team.team, name="team"),
    path("children/<int:person_id>", child.child, name="child"),
    path("children/<int:person_id>/chronology", chronology.chronology, name="chronology"),
    path("children/<int:person_id>/chronology.csv", chronology.export_csv, name="chronology-csv"),
    path("children/<int:person_id>/chronology.pdf", chronology.export_pdf, name="chronology-pdf"),
    path(
        "children/<int:person_id>/chronology/significance",
        chronology.significance,
        name="significance",
    ),
    path("children/<int:person_id>/visits/new", visit.visit_new, name="visit-new"),
    path("flags", flags.inbox, name="flags"),
    path("flags/<int:flag_id>", flags.flag, name="flag"),
    path("contacts", mash.contacts, name="contacts"),
    path("contacts/new", mash.contact_new, name="contact-new"),
    path("contacts/<int:contact_id>", mash.contact, name="contact"),
]
