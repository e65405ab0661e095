"""Phone numbers: stored as E.164, shown the way people of the company's country write them, searched by digits."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

DEFAULT_REGION = "US"
_DIGITS = re.compile(r"\D")


def region_ok(region: str) -> bool:
    """True for a two-letter country code phone numbers can be written in (US, CA, GB, …)."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(raw, (region or DEFAULT_REGION).upper())
    except NumberParseException:
        return None


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """'(512) 555-0199' → '+15125550199'; None when it can't be a phone number."""
    raw = (raw or "").strip()
    num = _parse(raw, region) if raw else None
    if num is None or not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, PhoneNumberFormat.E164)


def display(raw: str, region: str = DEFAULT_REGION) -> str:
    """'+15125550199' → '(512) 555-0199' in the US; other countries' numbers in international form."""
    raw = (raw or "").strip()
    num = _parse(raw, region) if raw else None
    if num is None or not phonenumbers.is_possible_number(num):
        return raw
    same = phonenumbers.region_code_for_number(num) == (region or DEFAULT_REGION).upper() or (
        num.country_code == phonenumbers.country_code_for_region((region or DEFAULT_REGION).upper()))
    return phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL if same else PhoneNumberFormat.INTERNATIONAL)


def digits(value: str) -> str:
    return _DIGITS.sub("", value or "")


def search_digits(query: str, region: str = DEFAULT_REGION) -> str | None:
    """The digits to look for in stored numbers when `query` reads as (part of) a phone number, else None.

    A full number matches by its national digits whatever way it was typed ('512.555.0199', '+1 512 555 0199');
    a fragment ('0199') by its digits. Queries with letters are not phone numbers.
    """
    q = (query or "").strip()
    if not q or re.search(r"[^\d\s()+.\-]", q):
        return None
    d = digits(q)
    if len(d) < 3:
        return None
    num = _parse(q, region)
    if num is not None and phonenumbers.is_possible_number(num):
        return str(num.national_number)
    return d
