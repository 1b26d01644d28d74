from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "huifang.visits"
    verbose_name = _("Sales visits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The import pipeline lives below this app; it learns the visits' kinds here (one table).
        from huifang.events.importing import register_importer
        from huifang.events.importing.columns import VISIT_PLANS, VISITS
        from huifang.visits.importing import PlanImporter, VisitImporter

        register_importer(VISITS, VisitImporter)
        register_importer(VISIT_PLANS, PlanImporter)
