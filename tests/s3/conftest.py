"""One moto_server process for the S3 tests of a run; each test makes its own bucket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from s3_helpers import S3Server, aws_env, running_moto


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_moto(tmp_path_factory.mktemp("moto")) as server, aws_env(server.env):
        yield server
