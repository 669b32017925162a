"""What can end a Google upload or sign-in, each with a one-line message a person can act on."""
from __future__ import annotations


class GoogleError(Exception):
    """A Google sign-in or upload problem; str() is one line saying what to do."""


class NotSignedIn(GoogleError):
    """No token in the data home."""


class SignInRefused(GoogleError):
    """Google refused the stored sign-in (revoked, expired or for another client)."""


class Unreachable(GoogleError):
    """An endpoint did not answer (after the retries)."""


class QuotaExhausted(GoogleError):
    """The API's daily quota is used up: a later run resumes."""


class AlbumBusy(GoogleError):
    """Another upload (the CLI's or the sidecar's) holds this album's lock."""


class InvalidMediaItem(GoogleError):
    """batchAddMediaItems refused an id: the item was deleted in Google Photos; upload it again."""
