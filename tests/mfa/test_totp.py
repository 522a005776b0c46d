"""RFC 6238 codes with a frozen clock: the RFC's vectors, the window's edges, drift, replay."""

from __future__ import annotations

import base64
import datetime

import time_machine

from mfa import totp

# RFC 6238, appendix B: the SHA-1 seed and the 8-digit codes (their last 6 digits are ours).
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = {
    59: "94287082",
    1111111109: "07081804",
    1111111111: "14050471",
    1234567890: "89005924",
    2000000000: "69279037",
    20000000000: "65353130",
}


def test_the_rfc_vectors():
    key = base64.b32decode(RFC_SECRET)
    for at, code in RFC_VECTORS.items():
        assert totp.hotp(key, totp.time_step(at), digits=8) == code
        assert totp.code_at(RFC_SECRET, at) == code[-6:]


def _at(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def test_a_code_is_valid_for_its_step_and_one_step_either_way():
    start = 1_800_000_000 - 1_800_000_000 % 30  # the first second of a step
    code = totp.code_at(RFC_SECRET, start)
    step = totp.time_step(start)
    with time_machine.travel(_at(start), tick=False):
        assert totp.matching_step(RFC_SECRET, code, after_step=None) == step
    # The last second of the step after the next one: two steps later, refused.
    for seconds, expected in [
        (start + 29.999, step),  # the same step, its last moment
        (start + 30, step),  # one step later: drift accepted
        (start + 59.999, step),
        (start + 60, None),  # two steps later: refused
        (start - 0.001, step),  # one step earlier (the phone is ahead)
        (start - 30, step),
        (start - 30.001, None),  # two steps earlier: refused
    ]:
        with time_machine.travel(_at(seconds), tick=False):
            assert totp.matching_step(RFC_SECRET, code, after_step=None) == expected, seconds


def test_a_code_is_accepted_once():
    start = 1_800_000_000
    code = totp.code_at(RFC_SECRET, start)
    with time_machine.travel(_at(start), tick=False):
        step = totp.matching_step(RFC_SECRET, code, after_step=None)
        assert totp.matching_step(RFC_SECRET, code, after_step=step) is None
        # An older code of the window is refused once a later one was used.
        older = totp.code_at(RFC_SECRET, start - 30)
        assert totp.matching_step(RFC_SECRET, older, after_step=step) is None
        # The next one is accepted.
        newer = totp.code_at(RFC_SECRET, start + 30)
        assert totp.matching_step(RFC_SECRET, newer, after_step=step) == step + 1


def test_only_six_ascii_digits_are_codes():
    with time_machine.travel(_at(1_800_000_000), tick=False):
        code = totp.code_at(RFC_SECRET)
        assert totp.matching_step(RFC_SECRET, f"{code[:3]} {code[3:]}", after_step=None)
        for typed in ["", "12345", "1234567", "١٢٣٤٥٦", "12a456", code + "0"]:
            assert totp.matching_step(RFC_SECRET, typed, after_step=None) is None


def test_the_provisioning_uri_and_qr_code():
    uri = totp.provisioning_uri("ABCDEF", account="léa@example.test", issuer="ViaRéférents")
    assert uri.startswith("otpauth://totp/ViaR%C3%A9f%C3%A9rents:l%C3%A9a@example.test?")
    assert "secret=ABCDEF" in uri
    assert "issuer=ViaR%C3%A9f%C3%A9rents" in uri
    assert "digits=6" in uri
    assert "period=30" in uri
    assert totp.qr_code_data_uri(uri).startswith("data:image/svg+xml")
    assert len(totp.new_secret()) == 32
    assert totp.grouped("ABCDEFGH") == "ABCD EFGH"
