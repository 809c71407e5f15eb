"""Two projects in two districts of two contractors, for every alert test."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.scan.builders import load


@pytest.fixture
def project_ids(engine: sa.Engine) -> dict[str, int]:
    """Project code -> id: P1 (和平区, contractor 1) and P2 (河西区, contractor 2)."""
    return load(
        engine,
        {
            "projects": [
                {"code": "P1", "name": "和平花园", "district": "和平区", "contractor": 1},
                {"code": "P2", "name": "河西大厦", "district": "河西区", "contractor": 2},
            ]
        },
    )


@pytest.fixture
def codes(project_ids: dict[str, int]) -> dict[int, str]:
    """Project id -> code, as the scan passes it to ``reconcile``."""
    return {project_id: code for code, project_id in project_ids.items()}
