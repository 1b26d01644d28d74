from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "huifang.cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Complaints files become cases: the importer lives here and is registered with the
        # importing package below (docs/architecture.md, "layers").
        from huifang.cases import services
        from huifang.cases.importing import ComplaintImporter
        from huifang.cases.story import cases_story
        from huifang.customers.selectors import register_story_source
        from huifang.events.importing import register_importer
        from huifang.events.importing.columns import COMPLAINTS
        from huifang.followups import hooks

        register_importer(COMPLAINTS, ComplaintImporter)
        register_story_source("cases", cases_story)
        # The closed loop (R6.1): a completed follow-up with a bad result opens a ticket, a second
        # follow-up closes its case or starts another round. Follow-ups calls this hook in the
        # attempt's transaction and never imports cases (docs/architecture.md, "layers").
        hooks.register_close_hook(
            hooks.CloseHook(name="cases", concerns=services.concerns_cases, handle=services.after_followup)
        )
