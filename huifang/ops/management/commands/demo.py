"""``huifang demo``: load the demo organisation (once) and print its logins."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils.translation import gettext as _

from huifang.ops.demo import DemoConflict, format_logins, load_demo


def load_and_report(out: OutputWrapper) -> None:
    """Load the demo once and print what it holds and its logins (shared with ``huifang serve``)."""

    def living(day: date) -> None:
        # The first start lives three months through the services (a minute or more): say so.
        out.write(
            _("Demo organisation: living %(month)s through the real services…") % {"month": f"{day:%Y-%m}"}
        )
        out.flush()

    try:
        summary = load_demo(progress=living)
    except DemoConflict as exc:
        raise CommandError(
            _("The demo cannot be loaded: these usernames are taken already: %(names)s") % {"names": exc},
            returncode=2,
        ) from exc
    if summary.created:
        out.write(
            _("Demo organisation loaded: %(customers)d customers, %(events)d events, %(staff)d staff.")
            % {"customers": summary.customers, "events": summary.events, "staff": summary.staff}
        )
    else:
        out.write(_("The demo organisation is loaded already; nothing was changed."))
    for line in format_logins(summary):
        out.write(line)


class Command(BaseCommand):
    help = "Load the demo organisation (once) and print its logins."

    def handle(self, *args: Any, **options: Any) -> None:
        load_and_report(self.stdout)
