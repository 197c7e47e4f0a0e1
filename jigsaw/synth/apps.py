from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "jigsaw.synth"
    label = "synth"
    verbose_name = "Synthetic populations"
