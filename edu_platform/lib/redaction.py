"""Secrets out of any text that is stored, logged or sent (alerts, load errors, the alert log).

A secret is the value of any environment variable whose name ends in PASSWORD, SECRET, TOKEN or SALT, the
alert webhook's URL (a Slack-style webhook URL is itself the credential) and its path, and the password
part of any `scheme://user:password@` URL. The environment is read at each call, unparsed, so redaction
never fails and sees a secret set after start-up.
"""

import os
import re
from urllib.parse import urlsplit

SECRET_ENV_SUFFIXES = ("PASSWORD", "SECRET", "TOKEN", "SALT")
WEBHOOK_VARIABLE = "EDU_ALERT_WEBHOOK_URL"
MIN_SECRET_LENGTH = 4  # shorter values would blank out ordinary words
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")


def secrets() -> list[str]:
    """The secret values in the environment, longest first (so a secret containing another goes whole)."""
    found = [
        value for name, value in os.environ.items()
        if value and len(value) >= MIN_SECRET_LENGTH and name.upper().endswith(SECRET_ENV_SUFFIXES)
    ]
    if webhook := os.environ.get(WEBHOOK_VARIABLE):
        found.append(webhook)
        path = urlsplit(webhook).path
        if len(path) > 1:
            found.append(path)
    return sorted(set(found), key=len, reverse=True)


def redact(text):
    """Text safe to store, log and send: no configured secret, no password inside a URL (None stays None)."""
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", text)
    for secret in secrets():
        text = text.replace(secret, "***")
    return text
