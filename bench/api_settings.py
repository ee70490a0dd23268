"""The server settings of ``bench.api_bench``: the project's, plus the floor endpoints."""

from waarborg.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
