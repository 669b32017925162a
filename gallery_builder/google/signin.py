"""Google sign-in for a headless NAS: the user's own OAuth client (`client_secret.json` in the data
home), the appendonly scope only, paste-back of the `http://localhost/?code=...` address, and the token
file (mode 0600) that later runs load and refresh. No network is used to ask whether one is signed in.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gallery_builder.config import Settings
from gallery_builder.google.errors import GoogleError, NotSignedIn, Unreachable

SCOPE = "https://www.googleapis.com/auth/photoslibrary.appendonly"
REDIRECT_URI = "http://localhost:8085/"  # a Desktop-app client accepts any loopback port; nothing listens
AUTH_HINT = "run `gallery google auth --home DIR` to sign in to Google Photos"


def client_secret_path(settings: Settings) -> Path:
    return settings.home / "client_secret.json"


def token_path(settings: Settings) -> Path:
    return settings.google_dir / "token.json"


def is_connected(settings: Settings) -> bool:
    """A token is stored (no network: whether Google still honours it shows on the next upload)."""
    return token_path(settings).is_file()


def client_config(settings: Settings) -> dict[str, Any]:
    """The user's OAuth client (installed/Desktop app), with the token endpoint of the settings."""
    path = client_secret_path(settings)
    if not path.is_file():
        raise GoogleError(f"no OAuth client at {path}: create a Desktop-app OAuth client in Google Cloud "
                          "Console and save its JSON there (see README, 'Google Photos')")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        kind = "installed" if "installed" in data else "web"
        config = dict(data[kind])
        config["client_id"]  # noqa: B018 (a KeyError here means a wrong file)
    except (ValueError, KeyError, TypeError) as error:
        raise GoogleError(f"{path} is not a Google OAuth client file ({type(error).__name__}: {error})") from None
    config["token_uri"] = settings.google_token_uri
    return {kind: config}


class PasteBackSignIn:
    """One sign-in: `url` to open on any device, then `finish(pasted)` with the address the browser
    failed to load. Holds the PKCE verifier and the state between the two steps."""

    def __init__(self, settings: Settings) -> None:
        from google_auth_oauthlib.flow import Flow

        self.settings = settings
        self.flow = Flow.from_client_config(client_config(settings), scopes=[SCOPE], redirect_uri=REDIRECT_URI)
        self.url, self.state = self.flow.authorization_url(access_type="offline", prompt="consent")

    def finish(self, pasted: str) -> None:
        """Exchange the code in the pasted address for tokens and store them (mode 0600)."""
        query = parse_qs(urlsplit(pasted.strip()).query)
        if "error" in query:
            raise GoogleError(f"Google answered {query['error'][0]!r}: the sign-in was not approved")
        code, state = query.get("code", [""])[0], query.get("state", [""])[0]
        if not code:
            raise GoogleError("no code in that address: paste the whole http://localhost...?code=... address")
        if state != self.state:
            raise GoogleError("that address belongs to another sign-in attempt: use the link printed this time")
        try:
            # oauthlib refuses a plain-http authorization response, so we hand it the code itself
            self.flow.fetch_token(code=code)
        except Exception as error:  # oauthlib / requests errors: one clear line, never a traceback
            raise _exchange_error(self.settings, error) from None
        save_credentials(self.settings, self.flow.credentials)


def _exchange_error(settings: Settings, error: Exception) -> GoogleError:
    import requests

    if isinstance(error, requests.ConnectionError | requests.Timeout):
        return Unreachable(f"cannot reach the Google token endpoint {settings.google_token_uri}: "
                           f"{type(error).__name__}")
    return GoogleError(f"Google refused the code ({error}): start the sign-in again")


def save_credentials(settings: Settings, credentials: Any) -> None:
    """Write the token file atomically, readable by its owner only."""
    data = {"token": credentials.token, "refresh_token": credentials.refresh_token,
            "client_id": credentials.client_id, "client_secret": credentials.client_secret,
            "scopes": [SCOPE], "expiry": credentials.expiry.isoformat() if credentials.expiry else None}
    path = token_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def load_credentials(settings: Settings) -> Any:
    """The stored credentials (google.oauth2.credentials.Credentials), refreshed on use; NotSignedIn
    when there is no token file."""
    from google.oauth2.credentials import Credentials

    path = token_path(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotSignedIn(f"not signed in to Google Photos: {AUTH_HINT}") from None
    except ValueError:
        raise NotSignedIn(f"the token file {path} is damaged: {AUTH_HINT}") from None
    expiry = datetime.fromisoformat(data["expiry"]).replace(tzinfo=None) if data.get("expiry") else None
    return Credentials(token=data.get("token"), refresh_token=data.get("refresh_token"),
                       token_uri=settings.google_token_uri, client_id=data.get("client_id"),
                       client_secret=data.get("client_secret"), scopes=data.get("scopes") or [SCOPE], expiry=expiry)


def disconnect(settings: Settings) -> str:
    """Revoke the token at Google and delete it here; returns what happened, in one line."""
    import requests

    path = token_path(settings)
    if not path.exists():
        return "not signed in: nothing to disconnect"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        data = {}
    token = data.get("refresh_token") or data.get("token")
    message = "disconnected: the token was revoked at Google and deleted here"
    if token:
        try:
            answer = requests.post(settings.google_revoke_uri, data={"token": token}, timeout=20,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
            if answer.status_code != 200 and "invalid_token" not in answer.text:
                message = (f"the token was deleted here; Google answered {answer.status_code} to the revocation: "
                           "remove the app at https://myaccount.google.com/permissions")
        except requests.RequestException as error:
            message = (f"the token was deleted here; {settings.google_revoke_uri} could not be reached "
                       f"({type(error).__name__}): remove the app at https://myaccount.google.com/permissions")
    path.unlink(missing_ok=True)
    return message
