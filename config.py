"""Configuration classes, chosen by CENTRAL_CONFIG and read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - refused in production, see ProductionConfig
TESTING_SECRET_KEY = "testing-secret-key"  # noqa: S105 - the test suite's, public like the default
# Keys anyone can read in this repository: an app serving requests with one would accept forged
# session cookies, so neither production nor the WSGI entry point starts with them.
KNOWN_SECRET_KEYS = frozenset({"", DEFAULT_SECRET_KEY, TESTING_SECRET_KEY})


# The GRB base map of Digitaal Vlaanderen, as WMTS tiles in Web Mercator (open data, free of
# charge, no key); Leaflet fills in {z}/{x}/{y}.
GRB_TILE_URL = (
    "https://geo.api.vlaanderen.be/GRB/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=grb_bsk&STYLE=&FORMAT=image/png&TILEMATRIXSET=GoogleMapsVL"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
GRB_ATTRIBUTION = "GRB © Digitaal Vlaanderen"


class Config:
    """Settings shared by every configuration."""

    NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    # Earlier keys, comma-separated, while SECRET_KEY is rotated: sessions signed and TOTP keys
    # encrypted under them stay readable (Flask's own setting).
    SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite under instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # CSRF tokens are bound to the session, not to the hour: a crew's shift is not cut off.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Brussels"
    LANGUAGES = ("nl", "en")
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # the largest upload anywhere (an asset import file)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a reset link stays valid
    # A browser session ends after this many hours without a request (a crew's shift with
    # pauses), and in any case this many hours after its sign-in (OWASP ASVS 3.3.2).
    SESSION_IDLE_HOURS = float(os.environ.get("SESSION_IDLE_HOURS", "8"))
    SESSION_MAX_HOURS = float(os.environ.get("SESSION_MAX_HOURS", "12"))
    LOGIN_FAILURES_BEFORE_DELAY = 5
    # SPEC 7.2: the EU threshold for services of sub-central authorities (EUR excl. VAT,
    # 2026-27); a de minimis change of a framework stays below it (art. 38/4 KB AUR).
    EU_SERVICES_THRESHOLD = os.environ.get("EU_SERVICES_THRESHOLD", "216000.00")
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in {"1", "true", "yes"}
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "").lower() in {"1", "true", "yes"}
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "central@localhost")
    STORAGE_DIR = os.environ.get("STORAGE_DIR")  # None: instance/storage
    # s3://bucket/prefix: files in S3-compatible object storage (boto3 reads the endpoint, region
    # and credentials from AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, ...); unset:
    # the folder STORAGE_DIR.
    STORAGE_URL = os.environ.get("STORAGE_URL")
    # Base map: the Flemish government's GRB base map (WMTS) by default; MAP_TILE_URL= (empty)
    # turns tiles off (maps then show the points only, and work offline).
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", GRB_TILE_URL)
    MAP_TILE_ATTRIBUTION = os.environ.get(
        "MAP_TILE_ATTRIBUTION",
        GRB_ATTRIBUTION if MAP_TILE_URL == GRB_TILE_URL else "",
    )
    # The address the public reaches this server at (https://central.example.be): public report
    # links and their QR labels are built on it (SPEC 7.4). Unset: the request's own address.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    # Proxies in front that set X-Forwarded-For/-Proto/-Host (e.g. 1 behind one TLS proxy), so that
    # links in e-mails use https and the visitor's host.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # `json`: one JSON object per log line (request id, user id, status, duration) for a log
    # platform; `text`: Python's usual lines. Production defaults to json.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    ALLOW_CLOCK_OVERRIDE = False  # `--today` moves the clock only in development and testing
    # Rate limits (SPEC 7.7, Flask-Limiter's syntax, e.g. "10 per minute"), on top of the
    # per-account slow-down of sign-in. Per client address: sign-in, password reset, API calls
    # without a user (a wrong token included). Per token (or signed-in user): the authenticated
    # API, generously, since crews share carrier addresses and one token may serve an office.
    # Sign-in counts failed attempts only.
    RATELIMIT_SIGN_IN = os.environ.get("RATELIMIT_SIGN_IN", "10 per minute")
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per minute")
    RATELIMIT_API_ANONYMOUS = os.environ.get("RATELIMIT_API_ANONYMOUS", "60 per minute")
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "12000 per minute")
    # Where the counts live: memory on a single host; several hosts share Redis
    # (redis://127.0.0.1:6379/0).
    # The public report page /r/<token> (SPEC 7.4): pages per client address, reports per client
    # address and per asset (a flood on one hydrant's label from many addresses is held too).
    RATELIMIT_PUBLIC_PAGE = os.environ.get("RATELIMIT_PUBLIC_PAGE", "60 per minute")
    RATELIMIT_PUBLIC_REPORT = os.environ.get("RATELIMIT_PUBLIC_REPORT", "10 per hour")
    RATELIMIT_PUBLIC_REPORT_ASSET = os.environ.get("RATELIMIT_PUBLIC_REPORT_ASSET", "20 per day")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "central")
    RATELIMIT_STRATEGY = "moving-window"  # no burst of twice the limit across a window's edge
    RATELIMIT_SWALLOW_ERRORS = True  # Redis down: requests go through rather than fail
    # Social-impact reports: hours of one full-time equivalent a year (38 h × 52 weeks).
    HOURS_PER_FTE = os.environ.get("HOURS_PER_FTE", "1976")
    # The OCDS publisher prefix of the open-data release packages (ocds-xxxxxx, registered).
    OCDS_PREFIX = os.environ.get("OCDS_PREFIX", "ocds-centrl")

    @classmethod
    def validate(cls, settings: Mapping[str, Any]) -> None:
        """Refuse settings that are unsafe for this configuration."""


class DevelopmentConfig(Config):
    NAME = "development"
    DEBUG = False
    ALLOW_CLOCK_OVERRIDE = True


class TestingConfig(Config):
    NAME = "testing"
    TESTING = True
    SECRET_KEY = TESTING_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL")
    ALLOW_CLOCK_OVERRIDE = True
    MAIL_SERVER = None
    # Tests never reach outside this machine: no base map unless a test sets one.
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast hashes keep tests quick
    # The suite signs in hundreds of times a minute from one address; the tests of the limits
    # set them low.
    RATELIMIT_SIGN_IN = RATELIMIT_PASSWORD_RESET = "100000 per minute"  # noqa: S105
    RATELIMIT_API_ANONYMOUS = RATELIMIT_API = "100000 per minute"
    RATELIMIT_PUBLIC_PAGE = RATELIMIT_PUBLIC_REPORT = RATELIMIT_PUBLIC_REPORT_ASSET = (
        "100000 per minute"
    )
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_SWALLOW_ERRORS = False


class ProductionConfig(Config):
    NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")

    @classmethod
    def validate(cls, settings: Mapping[str, Any]) -> None:
        refuse_known_secret_key(settings)


def refuse_known_secret_key(settings: Mapping[str, Any]) -> None:
    """Refuse to serve with no secret key or one published in this repository."""
    if settings.get("SECRET_KEY") in KNOWN_SECRET_KEYS | {None}:
        raise RuntimeError(
            "SECRET_KEY is not set: Central refuses to serve requests with a missing or "
            "publicly known secret key. Set SECRET_KEY to a long random value."
        )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """Return the configuration class named by `name` or by CENTRAL_CONFIG."""
    name = name or os.environ.get("CENTRAL_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"CENTRAL_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}"
        ) from None
