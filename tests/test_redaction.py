"""Redaction: whole credential values long enough to be recognised, and messages that stay
readable."""

from __future__ import annotations

import pytest

from pulumi_mihu.errors import ANYWHERE_LENGTH, MIN_REDACTED_LENGTH, REDACTED, redact

MESSAGE = "Service temporarily unavailable"


def test_a_one_character_credential_does_not_garble_a_message() -> None:
    assert redact(MESSAGE, ["v", "e", "ai"]) == MESSAGE


def test_a_short_credential_is_redacted_only_as_a_whole_word() -> None:
    assert MIN_REDACTED_LENGTH <= len("vice") < ANYWHERE_LENGTH
    assert redact(MESSAGE, ["vice", "tempo"]) == MESSAGE
    assert redact("username vice was refused", ["vice"]) == f"username {REDACTED} was refused"
    assert redact('{"password":"abcd"}', ["abcd"]) == f'{{"password":"{REDACTED}"}}'


def test_a_long_credential_is_redacted_wherever_it_stands() -> None:
    secret = "S1pPassw0rd"
    assert len(secret) >= ANYWHERE_LENGTH
    assert redact(f"password={secret}&x=1 or x{secret}y", [secret]) == (
        f"password={REDACTED}&x=1 or x{REDACTED}y")


def test_a_secret_containing_another_is_replaced_whole() -> None:
    assert redact("token abcdefgh1234", ["abcdefgh", "abcdefgh1234"]) == f"token {REDACTED}"


def test_echoes_in_other_encodings_are_redacted_whole() -> None:
    password = 'P\u00e4ss "wort"&7781'
    for echo in (
            '"P\\u00e4ss \\"wort\\"&7781"',  # JSON, non-ASCII escaped (json.dumps)
            '"P\u00e4ss \\"wort\\"&7781"',  # JSON, non-ASCII as is (ensure_ascii=False)
            "P%C3%A4ss%20%22wort%22%267781",  # URL-encoded (quote)
            "P%C3%A4ss+%22wort%22%267781"):  # form-encoded (quote_plus)
        quoted = echo.startswith('"')
        expected = f'"{REDACTED}"' if quoted else REDACTED
        assert redact(f"rejected: {echo}.", [password]) == f"rejected: {expected}.", echo


@pytest.mark.parametrize("secret, expected", [
    ("abc", "abc in xabcx"),  # 3 characters: left alone
    ("abcd", f"{REDACTED} in xabcdx"),  # 4 to 7: as a whole word only
    ("abcdefg", f"{REDACTED} in xabcdefgx"),
    ("abcdefgh", f"{REDACTED} in x{REDACTED}x"),  # 8 and more: wherever it stands
])
def test_the_documented_lengths_are_the_thresholds(secret: str, expected: str) -> None:
    """The README's numbers, literally: not redacted under 4 characters, redacted as a
    whole word from 4, anywhere from 8."""
    assert redact(f"{secret} in x{secret}x", [secret]) == expected
