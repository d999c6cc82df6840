"""Settings: every variable validated, each problem named, secrets never in repr."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from actionbot.service.settings import Settings, SettingsError, key_fingerprint


def env(pem: str, **over: str) -> dict[str, str]:
    base = {"GITHUB_APP_ID": "12345", "GITHUB_PRIVATE_KEY": pem, "GITHUB_WEBHOOK_SECRET": "s3cret-value"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_defaults(pem: str) -> None:
    s = Settings.from_env(env(pem))
    assert (s.app_id, s.port, s.host, s.api_url, s.log_level) == ("12345", 8080, "0.0.0.0", "https://api.github.com", "INFO")
    assert (s.write_interval, s.grace_seconds, s.handle) == (1.0, 25.0, "actionbot")


def test_all_variables(pem: str) -> None:
    s = Settings.from_env(
        env(
            pem,
            PORT="9000",
            HOST="127.0.0.1",
            GITHUB_API_URL="https://ghe.example.com/api/v3/",
            LOG_LEVEL="debug",
            ACTIONBOT_WRITE_INTERVAL="0",
            ACTIONBOT_GRACE_SECONDS="5",
            ACTIONBOT_HANDLE="@notesbot",
        )
    )
    assert s.port == 9000 and s.host == "127.0.0.1"
    assert s.api_url == "https://ghe.example.com/api/v3"
    assert (s.log_level, s.write_interval, s.grace_seconds, s.handle) == ("DEBUG", 0.0, 5.0, "notesbot")


def test_every_missing_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({})
    text = str(info.value)
    for name in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"):
        assert name in text
    assert len(info.value.problems) == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GITHUB_APP_ID", "my-app"),
        ("GITHUB_WEBHOOK_SECRET", "   "),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("GITHUB_API_URL", "api.github.com"),
        ("LOG_LEVEL", "LOUD"),
        ("ACTIONBOT_WRITE_INTERVAL", "-1"),
        ("ACTIONBOT_GRACE_SECONDS", "soon"),
        ("ACTIONBOT_HANDLE", "not a login"),
        ("GITHUB_PRIVATE_KEY", "/nonexistent/key.pem"),
        ("GITHUB_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\ngarbage\n-----END RSA PRIVATE KEY-----"),
    ],
)
def test_malformed_variable_is_named(pem: str, name: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env(pem, **{name: value}))
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(name)


def test_private_key_from_path_and_escaped_newlines(pem: str, tmp_path) -> None:
    path = tmp_path / "app.pem"
    path.write_text(pem)
    from_path = Settings.from_env(env(pem, GITHUB_PRIVATE_KEY=str(path)))
    escaped = Settings.from_env(env(pem, GITHUB_PRIVATE_KEY=pem.replace("\n", "\\n")))
    assert from_path.private_key == escaped.private_key == pem.strip() + "\n"


def test_non_rsa_key_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(SettingsError, match="RSA"):
        Settings.from_env(env(ec_pem))


def test_secrets_not_in_repr_and_fingerprint_is_public_key_hash(pem: str) -> None:
    s = Settings.from_env(env(pem))
    text = repr(s)
    assert "s3cret-value" not in text and "PRIVATE KEY" not in text
    fp = key_fingerprint(pem)
    assert fp.startswith("SHA256:") and len(fp) == len("SHA256:") + 44
    assert s.key_fingerprint == fp


def test_flags_override_environment(pem: str) -> None:
    s = Settings.from_env(env(pem)).with_overrides(port=1234, host=None, write_interval=0.0)
    assert (s.port, s.host, s.write_interval) == (1234, "0.0.0.0", 0.0)


def test_redis_mode_variables(pem: str) -> None:
    s = Settings.from_env(env(pem, REDIS_URL="redis://:pw@h:6379/0", ACTIONBOT_WORKER="0", ACTIONBOT_JOB_TIMEOUT="90",
                               ACTIONBOT_JOB_GRACE="2.5"))
    assert (s.redis_url, s.worker, s.job_timeout, s.job_grace) == ("redis://:pw@h:6379/0", False, 90.0, 2.5)
    assert "pw@h" not in repr(s)  # the URL may hold a password
    plain = Settings.from_env(env(pem))
    assert (plain.redis_url, plain.worker, plain.job_timeout, plain.job_grace) == ("", True, 600.0, 10.0)
    with pytest.raises(SettingsError) as err:
        Settings.from_env(env(pem, REDIS_URL="h:6379", ACTIONBOT_WORKER="yes", ACTIONBOT_JOB_GRACE="-1"))
    assert "REDIS_URL must be a redis://" in str(err.value) and "ACTIONBOT_WORKER must be 1" in str(err.value)
    assert "ACTIONBOT_JOB_GRACE" in str(err.value)


def test_status_token_is_optional_long_and_kept_out_of_repr(pem: str) -> None:
    base = {"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": pem, "GITHUB_WEBHOOK_SECRET": "s"}
    assert Settings.from_env(base).status_token == ""
    settings = Settings.from_env({**base, "ACTIONBOT_STATUS_TOKEN": "t" * 20})
    assert settings.status_token == "t" * 20 and "t" * 20 not in repr(settings)
    with pytest.raises(SettingsError, match="ACTIONBOT_STATUS_TOKEN must be at least 16"):
        Settings.from_env({**base, "ACTIONBOT_STATUS_TOKEN": "short"})
