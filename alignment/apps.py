from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "alignment"
    verbose_name = "Alignment"

    def ready(self) -> None:
        from alignment.services.tokens import adopt_drf_tokens_when_saved

        adopt_drf_tokens_when_saved()
