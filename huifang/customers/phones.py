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


# Personal numbers hiding in free text (an extra column 业主电话, a remark): a mainland mobile
# (maybe +86 / 0086 and separators), a landline with its area code, an ID-card number (18 or 15
# characters). Digits next to other digits are not matched: an order number is not a phone.
_PERSONAL = re.compile(
    r"(?<![\dA-Za-z])(?:"
    r"\d{17}[\dXx]|\d{15}"  # 居民身份证 (18, or the old 15)
    r"|(?:\+?86[\s-]?|0086[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}"  # mobile
    r"|0\d{2,3}[\s-]?\d{7,8}"  # landline with area code
    r")(?![\dA-Za-z])"
)


def _mask_digits(found: re.Match[str]) -> str:
    """Keep the first three and last four characters of the match, hide the rest."""
    text = found.group(0)
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_personal(text: str) -> str:
    """``text`` with every phone- or ID-card-shaped number masked like a phone (R11.1): for free
    attributes and import previews, which have no reveal of their own."""
    return _PERSONAL.sub(_mask_digits, text)


def has_personal(text: str) -> bool:
    return _PERSONAL.search(text) is not None
