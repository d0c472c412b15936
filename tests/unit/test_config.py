"""The deployment's configuration: read from a function's environment, refused with a ConfigurationError."""

from __future__ import annotations

import pytest

from restore_sync.errors import ConfigurationError
from restore_sync.handlers.config import Config
from restore_sync.settings import NAMES


def test_an_empty_environment_gives_the_defaults() -> None:
    assert Config.from_env({}) == Config()
    assert Config().settings == NAMES


def test_settings_and_numbers_are_read_from_the_environment() -> None:
    config = Config.from_env({"SETTINGS": "ttl, stream", "GRACE_SECONDS": "30", "BACKOFF_HORIZON_HOURS": "1.5"})
    assert config.settings == ("ttl", "stream")
    assert config.grace_seconds == 30
    assert config.backoff.horizon_seconds == 5400


def test_an_unknown_setting_is_a_configuration_error_naming_it() -> None:
    with pytest.raises(ConfigurationError, match="speed"):
        Config.from_env({"SETTINGS": "ttl,speed"})


@pytest.mark.parametrize("name", ["GRACE_SECONDS", "BACKOFF_CAP_SECONDS", "HISTORY_RETENTION_DAYS"])
def test_a_number_that_is_not_one_is_a_configuration_error_naming_the_variable(name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Config.from_env({name: "ten"})


def test_adopting_tables_that_were_not_restored_is_off_unless_the_deployment_says_true() -> None:
    assert Config.from_env({}).adopt_unrestored is False
    assert Config.from_env({"ADOPT_UNRESTORED_TABLES": "false"}).adopt_unrestored is False
    assert Config.from_env({"ADOPT_UNRESTORED_TABLES": "true"}).adopt_unrestored is True


def test_the_data_bucket_is_read_from_the_environment_and_is_empty_without_one() -> None:
    assert Config.from_env({}).data_bucket == ""
    assert Config.from_env({"DATA_BUCKET": "restore-sync-executiondatabucket-1a2b3c"}).data_bucket == (
        "restore-sync-executiondatabucket-1a2b3c"
    )


@pytest.mark.parametrize("name", ["Upper-Case", "ab", "-starts-with-a-hyphen", "x" * 64, "192.168.0.1", "two..dots"])
def test_a_data_bucket_that_is_no_bucket_name_is_a_configuration_error_naming_the_variable(name: str) -> None:
    with pytest.raises(ConfigurationError, match="DATA_BUCKET"):
        Config.from_env({"DATA_BUCKET": name})
