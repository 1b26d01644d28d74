"""``huifang token create USERNAME [--name TEXT] [--expires DAYS]`` prints a personal API token
once (only its digest is stored); ``huifang token revoke ID`` revokes one. Bad input exits 2."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations

from huifang.accounts.models import Staff
from huifang.api.models import ApiToken
from huifang.api.services import create_token, revoke_token


def _bad(where: str, what: str) -> CommandError:
    return CommandError(f"{where}: {what}", returncode=2)


class Command(BaseCommand):
    help = "Make (printed once) or revoke a personal API token."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="create|revoke")
        create = actions.add_parser("create", help="a new token for USERNAME, printed once")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for (e.g. ERP)")
        create.add_argument("--expires", help="days until it stops working (default: never)")
        revoke = actions.add_parser("revoke", help="revoke token ID at once")
        revoke.add_argument("token_id")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "revoke":
            token_id = str(options["token_id"])
            if not token_id.isdigit():
                raise _bad("ID", f"not a token id: {token_id!r}")
            token = ApiToken.objects.filter(pk=int(token_id)).first()
            if token is None:
                raise _bad("ID", f"no token {token_id}")
            revoke_token(token=token)
            self.stdout.write(f"token {token.pk} ({token.prefix}…, {token.user.username}) revoked")
            return
        user = Staff.objects.filter(username=options["username"]).first()
        if user is None:
            raise _bad("USERNAME", f"no staff member has the username {options['username']!r}")
        if not user.is_active:
            raise _bad("USERNAME", f"{options['username']!r} is no longer active")
        days: int | None = None
        if options["expires"] is not None:
            text = str(options["expires"])
            if not text.isdigit() or not 0 < int(text) <= 3650:
                raise _bad("--expires", f"a number of days from 1 to 3650, not {text!r}")
            days = int(text)
        made = create_token(user=user, name=options["name"] or "CLI", expires_in_days=days)
        self.stderr.write(f"token {made.token.pk} for {user.username}: shown this once, keep it safe")
        self.stdout.write(made.secret)
