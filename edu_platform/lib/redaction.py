"""Secrets out of any text that is stored, logged or sent (alerts, load errors, the alert log).

A secret is the value of any environment variable whose name ends in PASSWORD, SECRET, TOKEN or SALT, the
alert webhook's URL (a Slack-style webhook URL is itself the credential) and its path, and the password
part of any `scheme://user:password@` URL. The configuration layer hands them over unparsed at each call
(`config.secret_values`), so redaction never fails and sees a secret set after start-up.
"""

import re
from urllib.parse import urlsplit

from edu_platform.lib.config import WEBHOOK_VARIABLE, secret_values

MIN_SECRET_LENGTH = 4  # shorter values would blank out ordinary words
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")


def secrets() -> list[str]:
    """The secret values in the environment, longest first (so a secret containing another goes whole)."""
    values = secret_values()
    found = [value for name, value in values.items() if len(value) >= MIN_SECRET_LENGTH and name != WEBHOOK_VARIABLE]
    if webhook := values.get(WEBHOOK_VARIABLE):
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
