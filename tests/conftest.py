"""Shared fixtures: the fake GitHub every test of the project runs against.

`fake_github` starts `tests.fakegithub.FakeGitHub` on 127.0.0.1 with a random
port (milliseconds), yields it, stops it, and fails the test when any request
the bot sent or any response the fake gave did not match GitHub's official
schema (`fake.schema_errors`), unless the test called
`fake.allow_schema_errors()` or carries `@pytest.mark.fake_github_schema_errors_ok`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakegithub import FakeGitHub


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fake_github_schema_errors_ok: the test sends requests GitHub's schema rejects on purpose"
    )


@pytest.fixture(scope="session")
def pem() -> str:
    """A private RS256 key in the PKCS#1 PEM form GitHub hands out for an app ("BEGIN RSA PRIVATE KEY")."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    """(private PKCS#1 PEM, public PEM) of an RS256 app key, made once per session."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


@pytest.fixture(scope="session")
def fake_app_key() -> tuple[str, str]:
    """(private PEM, public PEM) of an RS256 app key, made once per session:
    `fake_github.set_app(APP_ID, public)` and give the bot `private`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


@pytest.fixture
async def fake_github(request: pytest.FixtureRequest) -> AsyncIterator[FakeGitHub]:
    fake = FakeGitHub()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    allowed = fake.schema_errors_allowed or request.node.get_closest_marker("fake_github_schema_errors_ok")
    if fake.schema_errors and not allowed:
        shown = "\n  ".join(fake.schema_errors[:20])
        pytest.fail(
            f"{len(fake.schema_errors)} exchange(s) with the fake GitHub do not match GitHub's "
            f"official schema (rest/operations.json):\n  {shown}\n"
            "Fix the request (or the fake's response); for a deliberately malformed request "
            "call fake.allow_schema_errors().",
            pytrace=False,
        )
