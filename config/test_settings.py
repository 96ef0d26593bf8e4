"""Settings for `make test`: the real PostgreSQL and Redis, fast password hashing."""

import os

from config.settings import *  # noqa: F403
from config.settings import dj_database_url, redis_channel_layers

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")

DATABASES = {"default": dj_database_url.parse(TEST_DATABASE_URL)}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_switchboard")}
REDIS_URL = TEST_REDIS_URL
# Same connection options as config.settings (see there why).
CHANNEL_LAYERS = redis_channel_layers(TEST_REDIS_URL, prefix="switchboard-test")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "1000/min"}}  # noqa: F405
