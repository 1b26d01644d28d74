"""Phone numbers: normalised with ``phonenumbers`` (mainland China by default) and masked for display."""

from __future__ import annotations

import re

import phonenumbers

_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()（）]")


class InvalidPhone(ValueError):
    """The text is not a dialable number."""


def normalize_phone(raw: str, region: str = "CN") -> str:
    """``raw`` as E.164 (``+8613812345678``); empty input gives ""; raises ``InvalidPhone``.

    The common case — an 11-digit mainland mobile, maybe with +86 and separators — is recognised
    without the full parser, which is the slow part of a large import.
    """
    text = _SEPARATORS.sub("", raw.strip())
    if not text:
        return ""
    if text.startswith("+86"):
        bare = text[3:]
    elif text.startswith("0086"):
        bare = text[4:]
    else:
        bare = text
    if region == "CN" and len(bare) == 11 and _CN_MOBILE.fullmatch(bare):
        return "+86" + bare
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(str(exc)) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("not a valid number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national(e164: str) -> str:
    """The number as dialled at home: ``13812345678`` or ``01012345678``."""
    if not e164:
        return ""
    if e164.startswith("+86") and _CN_MOBILE.fullmatch(e164[3:]):
        return e164[3:]
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")


def mask_phone(e164: str) -> str:
    """``138****5678``: the first three and last four digits, the middle hidden."""
    digits = national(e164)
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
