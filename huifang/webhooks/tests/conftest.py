"""The API tests' webhook receiver and English messages, shared here."""

from huifang.api.tests.conftest import english, receiver

__all__ = ["english", "receiver"]
