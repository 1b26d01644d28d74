import pytest

from huifang.customers.phones import InvalidPhone, mask_phone, national, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "008613812345678",
        "+8613812345678",
    ],
)
def test_mobile_numbers_in_every_common_spelling_normalise_to_one_form(raw: str) -> None:
    assert normalize_phone(raw) == "+8613812345678"


def test_a_beijing_landline_is_kept_with_its_area_code() -> None:
    assert normalize_phone("010-8888 6666") == "+861088886666"
    assert national("+861088886666") == "01088886666"


@pytest.mark.parametrize("raw", ["12345", "1381234567", "abc", "23812345678"])
def test_nonsense_is_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_empty_input_is_no_number() -> None:
    assert normalize_phone("  ") == ""


def test_masking_keeps_first_three_and_last_four_digits() -> None:
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_phone("+861088886666") == "010****6666"
