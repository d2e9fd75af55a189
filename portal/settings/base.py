"""Settings shared by every mode. Everything that differs between machines comes from the
environment through ``core.env``; see the configuration table in README.md."""

from __future__ import annotations

import secrets
import zoneinfo
from pathlib import Path

import phonenumbers

from core import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env.load_dotenv(BASE_DIR / ".env")

VAR_DIR = Path(env.string("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

DEBUG = env.boolean("DEBUG", False)


def _development_secret_key() -> str:
    """A key generated once per checkout, so sessions survive restarts in development."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env.string("SECRET_KEY", "") or _development_secret_key()
ALLOWED_HOSTS = env.csv_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.csv_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # ours first, so our templates override those of the libraries
    "core",
    "accounts",
    "portal",
    "households",
    "events",
    "volunteers",
    "pledges",
    "liaison",
    "reports",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    # accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's widget templates, for FORM_RENDERER below
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware: every response gets the policy, cached pages included.
    "portal.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # allauth's RateLimited raised anywhere becomes the 429 page, never a 500.
    "accounts.ratelimits.RateLimitedMiddleware",
    # Session lifetime by role, then the second factor (see accounts/middleware.py).
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- data -------------------------------------------------------------------------------------
DATABASES = {"default": env.database("DATABASE_URL", VAR_DIR / "qiaoxin.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    # Short timeouts: a Redis that hangs must not hold a page for long (see core/cache.py).
    _REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    _CACHE_KEY_PREFIX = env.string("CACHE_KEY_PREFIX", "qiaoxin")
    CACHES = {
        # Degrades when Redis is down: a read misses, a write is dropped, the error is logged.
        "default": {
            "BACKEND": "core.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _CACHE_KEY_PREFIX,
            "OPTIONS": _REDIS_OPTIONS,
        },
        # Counters that must not degrade: the SMS limits fail closed (no count, no text).
        "limits": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{_CACHE_KEY_PREFIX}-limits",
            "OPTIONS": _REDIS_OPTIONS,
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "limits": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "limits",
        },
    }

# --- accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# allauth's backend only (it is a ModelBackend for permissions): Django's own would also accept
# the generated username with a password, a login method nobody is meant to have.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:me"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "login": "accounts.forms.LoginForm",
    "verify_phone": "accounts.forms.VerifyPhoneForm",
    "confirm_login_code": "accounts.forms.ConfirmLoginCodeForm",
    # codes only to a number or address the account's owner proved (accounts.ownership)
    "request_login_code": "accounts.forms.RequestLoginCodeForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "confirm_password_reset_code": "accounts.forms.ConfirmPasswordResetCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
# Phone or email, at least one: the signup form enforces that (elderly relatives often have no
# email address, some members abroad have no mainland phone).
ACCOUNT_SIGNUP_FIELDS = ["phone", "email", "password1*", "password2*"]
# allauth can make email verification mandatory only when every sign-up has an email; ours may
# not, so an email address gets a confirmation link at sign-up but does not block the login.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 3
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = env.integer("SMS_CODE_TIMEOUT", 10 * 60, minimum=60)
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = ACCOUNT_PHONE_VERIFICATION_TIMEOUT
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
# --- security: one way in ---------------------------------------------------------------------
# Every action is limited per account ("key": the phone number in E.164 or the email address,
# lower-cased; "user" once logged in) and per client address, on the shared cache. login,
# signup and reset_password_from_key are limited in allauth's views, where no key is known:
# a login's per-account limit is login_failed, a sign-up's the texts and mails it causes.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key,10/h/key",
    "reset_password": "20/m/ip,3/m/key,10/h/key",
    "reset_password_from_key": "20/m/ip",
    # sending a confirmation link (also the "already registered" mail at sign-up)
    "confirm_email": "10/m/ip,1/180s/key",
    "verify_phone": "10/m/ip,1/30s/key",
    "change_phone": "5/m/ip,1/m/user",
    "change_password": "10/m/ip,5/m/user",
    "manage_email": "20/m/ip,10/m/user",
    "reauthenticate": "20/m/ip,10/m/user",
}
# The number of reverse proxies in front of gunicorn that append to X-Forwarded-For (1 for the
# nginx of the README). 0 trusts no header: per-IP limits then count the address that connects,
# which behind a proxy is the proxy's own. allauth's limits and ours read it (adapter's
# get_client_ip).
ALLAUTH_TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0, minimum=0)
# An email-only sign-up waits for its address to be confirmed (the page is the same whether the
# address was new or taken: accounts.forms.SignupForm); following the link in the same browser
# logs in (allauth does so only for the session that signed up).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
PHONENUMBER_DEFAULT_REGION = "CN"
# W001 wants one login method required at sign-up; our SignupForm requires phone or email.
SILENCED_SYSTEM_CHECKS = ["account.W001"]

# --- SMS and email ----------------------------------------------------------------------------
SMS_BACKENDS = {
    "console": "accounts.sms.ConsoleBackend",
    "file": "accounts.sms.FileBackend",
    "locmem": "accounts.sms.LocmemBackend",
}
_sms_backend = env.string("SMS_BACKEND", "console")
if _sms_backend not in SMS_BACKENDS and "." not in _sms_backend:
    raise env.EnvError(
        "SMS_BACKEND",
        f"must be console, file, locmem or a dotted class path; got {_sms_backend!r}.",
    )
SMS_BACKEND = SMS_BACKENDS.get(_sms_backend, _sms_backend)
SMS_FILE_PATH = Path(env.string("SMS_FILE_PATH", str(VAR_DIR / "sms")))
SMS_SIGNATURE = env.string("SMS_SIGNATURE", "【侨心】")
# Who issues volunteers' service-record certificates ("whoever records, certifies"), and the
# font file their PDF embeds (a CJK font: Debian's fonts-wqy-microhei by default).
CERTIFICATE_ISSUER = env.string("CERTIFICATE_ISSUER", "侨心街道归国华侨联合会")
CERTIFICATE_FONT = env.string("CERTIFICATE_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}
EMAIL_BACKEND = EMAIL_BACKENDS[
    env.string("EMAIL_BACKEND", "console", choices=tuple(EMAIL_BACKENDS))
]
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env.string("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.boolean("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "侨心 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security: SMS ---------------------------------------------------------------------------
# Every text passes accounts.sms.send_sms, which refuses numbers outside these regions and
# numbers that are not mobiles (premium rate, shared cost, toll free…), and counts each text
# against three limits on the shared cache (a window of one hour from the first text):
# per number and per client IP for texts a web request causes (codes, "already registered"),
# and all texts together. Regions: mainland China, Hong Kong, Macao, Taiwan and the countries
# the register holds (where the federation's overseas Chinese live).
_SMS_DEFAULT_REGIONS = [
    *("CN", "HK", "MO", "TW"),  # mainland China, Hong Kong, Macao, Taiwan
    *("US", "CA", "AU", "NZ", "GB", "FR", "DE", "IT", "ES", "NL", "BE", "AT", "CH", "SE", "RU"),
    *("JP", "KR", "SG", "MY", "TH", "ID", "PH", "VN", "AE", "BR", "AR", "ZA"),
]
SMS_ALLOWED_REGIONS = [
    code.upper() for code in env.csv_list("SMS_ALLOWED_REGIONS", _SMS_DEFAULT_REGIONS)
]
_unknown_regions = sorted(set(SMS_ALLOWED_REGIONS) - phonenumbers.SUPPORTED_REGIONS)
if _unknown_regions:
    raise env.EnvError(
        "SMS_ALLOWED_REGIONS",
        f"must list ISO 3166 region codes (CN,HK,US,…); unknown: {', '.join(_unknown_regions)}.",
    )
SMS_NUMBER_HOURLY_LIMIT = env.integer("SMS_NUMBER_HOURLY_LIMIT", 5, minimum=1)
SMS_IP_HOURLY_LIMIT = env.integer("SMS_IP_HOURLY_LIMIT", 20, minimum=1)
SMS_HOURLY_LIMIT = env.integer("SMS_HOURLY_LIMIT", 1000, minimum=1)

# --- security: register number searches ------------------------------------------------------
# Searches of the register by a whole phone or ID number, per user and hour on the shared cache
# (households.access.number_search_allow): a masked mobile leaves 10,000 candidates, so the
# search must not be a lookup. Roles that may unmask get a higher limit (against a stolen
# session). Over the limit the list shows no rows and says why; the refusal is logged.
REGISTER_NUMBER_SEARCH_HOURLY_LIMIT = env.integer(
    "REGISTER_NUMBER_SEARCH_HOURLY_LIMIT", 20, minimum=1
)
REGISTER_NUMBER_SEARCH_UNMASK_HOURLY_LIMIT = env.integer(
    "REGISTER_NUMBER_SEARCH_UNMASK_HOURLY_LIMIT", 200, minimum=1
)

# --- register lists ---------------------------------------------------------------------------
# The register lists count their rows up to this many and then say "at least" (an exact count of
# a million members costs more than the rest of the page; core.pagination).
REGISTER_LIST_COUNT_LIMIT = env.integer("REGISTER_LIST_COUNT_LIMIT", 10_000, minimum=100)

# --- language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.string("TIME_ZONE", "Asia/Shanghai")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise env.EnvError("TIME_ZONE", f"is not a known time zone; got {TIME_ZONE!r}.")
USE_I18N = True
USE_TZ = True

# --- files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- background jobs --------------------------------------------------------------------------
# With no broker configured the portal runs in "embedded" mode: kombu's filesystem transport
# keeps the queue in var/celery/, and `make run` starts one worker (with beat) next to the web
# server. No Redis is needed, jobs survive a restart, and the code path is the same Celery one
# as in production. See README.md, "Background jobs".
CELERY_BROKER_URL = env.url(
    "CELERY_BROKER_URL", schemes=("redis", "rediss", "amqp", "pyamqp", "filesystem")
)
CELERY_EMBEDDED = CELERY_BROKER_URL is None
if CELERY_EMBEDDED:
    _queue_dir = VAR_DIR / "celery"
    for _folder in ("queue", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # kombu's exchange tables; unset it is "control" relative to the working directory.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
    # The filesystem transport has no broadcast exchange, so remote control is off.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# A run of the test suite against a shared broker uses its own queue (see .ci/run).
CELERY_TASK_DEFAULT_QUEUE = env.string("CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # Reminders for events starting within 24 hours (each sign-up reminded once).
    "event-reminders": {"task": "events.tasks.event_reminders_send", "schedule": 10 * 60},
    # The outbox's sweeper: notices whose job was lost or whose retry is due (core/notices.py).
    "notices-sweep": {"task": "core.tasks.notices_sweep", "schedule": 2 * 60},
}
# A new notice is left to its own job this long before the sweeper sends it again.
NOTICE_SWEEP_AFTER_SECONDS = env.integer("NOTICE_SWEEP_AFTER_SECONDS", 180, minimum=1)
if not CELERY_EMBEDDED:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A job not acknowledged within this time is given to another worker (Redis broker;
        # acks_late): longer than the longest job, a register import of a million people
        # (about 5 minutes). Lost notices do not wait for it: the sweeper finds them.
        "visibility_timeout": env.integer("CELERY_VISIBILITY_TIMEOUT", 30 * 60, minimum=60),
        "socket_connect_timeout": 2,
        # A broker that hangs holds whoever publishes this long per attempt (then the sweeper
        # takes over for a while: core.tasks.notices_enqueue); the worker's BRPOP waits 1 s.
        "socket_timeout": 3,
    }
# Enqueueing while the broker is down fails fast (the outbox keeps the notice; see README).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_ALWAYS_EAGER = False

# Wagtail's own background tasks (search index, reference index) run at once, in the request.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- security: private files and imports -----------------------------------------------------
# Uploaded registers go to the "private" storage: outside MEDIA_ROOT, no URL, served only by a
# view that checks permission and logs (core/storage.py). Production may point STORAGES
# ["private"] at an S3-compatible bucket with private ACLs instead.
PRIVATE_MEDIA_ROOT = Path(env.string("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES["private"] = {
    "BACKEND": "core.storage.PrivateFileSystemStorage",
    "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
}
# What one import may read (households/importing/limits.py). The upload limit applies to the
# web import (the command line takes --max-mb); the others bound the reader's memory
# everywhere: a sheet is read as one grid from A1 to its last cell.
IMPORT_MAX_UPLOAD_MB = env.integer("IMPORT_MAX_UPLOAD_MB", 20, minimum=1)
IMPORT_MAX_ROWS = env.integer("IMPORT_MAX_ROWS", 1_100_000, minimum=100)
IMPORT_MAX_COLUMNS = env.integer("IMPORT_MAX_COLUMNS", 200, minimum=20)
IMPORT_MAX_CELLS = env.integer("IMPORT_MAX_CELLS", 25_000_000, minimum=10_000)
IMPORT_MAX_SHARED_STRINGS_MB = env.integer("IMPORT_MAX_SHARED_STRINGS_MB", 200, minimum=1)
IMPORT_MAX_UNCOMPRESSED_MB = env.integer("IMPORT_MAX_UNCOMPRESSED_MB", 1024, minimum=10)
IMPORT_MAX_COMPRESSION_RATIO = env.integer("IMPORT_MAX_COMPRESSION_RATIO", 100, minimum=10)
# Uploaded files of imports not finished within this many days are deleted by the sweep.
IMPORT_FILE_RETENTION_DAYS = env.integer("IMPORT_FILE_RETENTION_DAYS", 7, minimum=1)
# Role groups of responsibilities whose end date has passed are taken away (households).
CELERY_BEAT_SCHEDULE["responsibility-roles-expire"] = {
    "task": "households.tasks.responsibility_roles_expire",
    "schedule": 24 * 60 * 60,
}
CELERY_BEAT_SCHEDULE["import-files-sweep"] = {
    "task": "households.tasks.import_files_sweep",
    "schedule": 24 * 60 * 60,
}

# --- Wagtail ----------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "侨心"
WAGTAILADMIN_BASE_URL = env.string("SITE_URL", "http://127.0.0.1:8000")
# Through portal.views: on to allauth's login, or the 403 page for a logged-in person
# without admin access (allauth would send them back to /admin/: a redirect loop).
WAGTAILADMIN_LOGIN_URL = "admin_login_redirect"
WAGTAIL_I18N_ENABLED = False
# The admin shows times in the site's zone for everyone: events, check-in times and yearly
# figures are local affairs, and a per-user zone would shift them (and the copy of an event).
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No Gravatar: nothing is fetched from outside (the site must work on an intranet).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_MODERATION_ENABLED = True
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# --- security: one way in (Wagtail) -----------------------------------------------------------
# allauth's views are the only login, logout, password reset and email/password management:
# Wagtail's own skip allauth's rate limits and phone verification, and its account page set an
# email address without verifying it. portal/urls.py sends Wagtail's old URLs to allauth's; the
# admin's account page keeps name and preferences and links to allauth's email and password pages.
# private pages ask for a login here (portal.views: the 403 page once logged in)
WAGTAIL_FRONTEND_LOGIN_URL = "frontend_login_redirect"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False

# --- security: MFA and sessions --------------------------------------------------------------
# A second factor (allauth.mfa: an authenticator app, plus recovery codes) for staff, admins and
# every role that may unmask numbers; accounts.middleware makes them set it up on first login.
# No WebAuthn: phones and authenticator apps are what the office and the group leaders have.
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "侨心"
# One 30-second step either side: a phone's clock a little off, or a code typed as it changes.
MFA_TOTP_TOLERANCE = 1
MFA_FORMS = {
    "activate_totp": "accounts.mfa.ActivateTOTPForm",
    "authenticate": "accounts.mfa.AuthenticateForm",
    "reauthenticate": "accounts.mfa.ReauthenticateForm",
}
# Sessions: relatives stay logged in for 14 days, those who can see everything for 8 hours
# without a request. The lifetime is pushed forward at most every SESSION_REFRESH_SECONDS.
SESSION_COOKIE_AGE = env.integer("SESSION_COOKIE_AGE", 14 * 24 * 3600, minimum=300)
SESSION_IDLE_STAFF_SECONDS = env.integer("SESSION_IDLE_STAFF_SECONDS", 8 * 3600, minimum=300)
SESSION_REFRESH_SECONDS = 5 * 60

# --- security: Content-Security-Policy --------------------------------------------------------
# One strict policy for the public site and the Wagtail admin (portal/csp.py sends it): nothing
# is loaded from another host (the site must work on an intranet) and no inline script runs.
# Our templates keep their scripts and styles in static files; the Wagtail widgets that still
# write inline scripts are rendered with inert data elements instead (templates/wagtailadmin/,
# portal/csp.py, static/js/admin-init.js). Why each directive: SECURITY.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for small images inlined in Wagtail's CSS, blob: for its upload previews.
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # 'self' only where a view sends X-Frame-Options: SAMEORIGIN (Wagtail's preview).
        "frame-ancestors": ["'none'"],
    }
}
# Added in the admin only: the rich-text editor (Draftail) writes its placeholder hints as a
# <style> element whose selectors name each block, so no hash can allow it.
CONTENT_SECURITY_POLICY_ADMIN_UPDATE = {"style-src-elem": ["'self'", "'unsafe-inline'"]}
# The camera for the check-in page on our own pages; no microphone, location, payment or USB.
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
# Django's defaults, stated so they are not lost: SecurityMiddleware sends them.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Widgets render through the project's templates, so templates/wagtailadmin/widgets/ can
# replace the Wagtail widget templates that carry inline scripts.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}
