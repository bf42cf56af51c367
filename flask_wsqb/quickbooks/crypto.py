"""Encryption of OAuth tokens at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

The key is ``WSQB_ENCRYPTION_KEY`` (a Fernet key) when set, otherwise derived from the
app's ``SECRET_KEY`` with HKDF, so rotating ``SECRET_KEY`` means reconnecting QuickBooks.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class TokenCipher:
    def __init__(self, *, encryption_key: str | None, secret_key: str | bytes | None) -> None:
        if encryption_key:
            key = encryption_key.encode() if isinstance(encryption_key, str) else encryption_key
        elif secret_key:
            secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"flask-wsqb token encryption").derive(
                secret
            )
            key = base64.urlsafe_b64encode(derived)
        else:
            raise RuntimeError(
                "flask-wsqb stores QuickBooks tokens encrypted and needs a key: set SECRET_KEY "
                "or WSQB_ENCRYPTION_KEY (a key from cryptography.fernet.Fernet.generate_key())."
            )
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise RuntimeError(
                "WSQB_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                "make one with cryptography.fernet.Fernet.generate_key()."
            ) from exc

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise UndecryptableError(
                "the stored QuickBooks tokens cannot be decrypted (SECRET_KEY or WSQB_ENCRYPTION_KEY "
                "changed since they were saved)"
            ) from exc

    def can_decrypt(self, token: str) -> bool:
        try:
            self.decrypt(token)
        except UndecryptableError:
            return False
        return True


class UndecryptableError(ValueError):
    """Tokens encrypted under another key: only reconnecting gets readable ones."""
