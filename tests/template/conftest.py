"""Fixtures for the deployment-artefact tests: template.yaml as written and as the SAM transform leaves it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_sync_sandbox.deploy import transform_template
from tests.template.template_artefacts import REGION, asl_path, package_offline, source_template


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return source_template()


@pytest.fixture(scope="session")
def transformed() -> dict[str, Any]:
    """The template after the SAM transform, run offline with aws-sam-translator for REGION."""
    with pytest.MonkeyPatch.context() as patch:
        # The transform must depend on its region argument only, not on the process's default region.
        patch.delenv("AWS_DEFAULT_REGION", raising=False)
        patch.delenv("AWS_REGION", raising=False)
        return transform_template(package_offline(source_template()), {}, REGION)


@pytest.fixture(scope="session")
def asl_text(template: dict[str, Any]) -> str:
    return asl_path(template).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def asl(asl_text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(asl_text)
    return loaded
