"""Encryption of OAuth tokens at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

The app's key is ``WSQB_ENCRYPTION_KEY`` (a Fernet key) when set, otherwise derived from the
app's ``SECRET_KEY`` with HKDF, so rotating ``SECRET_KEY`` means reconnecting QuickBooks. Each
firm's tokens are encrypted under a key derived from the app's key for that firm (HKDF), so a
leaked row of one firm does not open another firm's QuickBooks; the default firm (a single-firm
app) keeps the app's key itself, as before firms existed.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..tenancy import DEFAULT_TENANT

_INFO = b"flask-wsqb token encryption"


def _derive(material: bytes, info: bytes) -> bytes:
    return base64.urlsafe_b64encode(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material))


class TokenCipher:
    def __init__(self, *, encryption_key: str | None, secret_key: str | bytes | None) -> None:
        if encryption_key:
            key = encryption_key.encode() if isinstance(encryption_key, str) else encryption_key
        elif secret_key:
            key = _derive(secret_key.encode() if isinstance(secret_key, str) else secret_key, _INFO)
        else:
            raise RuntimeError(
                "flask-wsqb stores QuickBooks tokens encrypted and needs a key: set SECRET_KEY "
                "or WSQB_ENCRYPTION_KEY (a key from cryptography.fernet.Fernet.generate_key())."
            )
        try:
            self._app_key = Fernet(key)
        except ValueError as exc:
            raise RuntimeError(
                "WSQB_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                "make one with cryptography.fernet.Fernet.generate_key()."
            ) from exc
        self._material = base64.urlsafe_b64decode(key)
        self._tenant_keys: dict[str, Fernet] = {}

    def _key(self, tenant: str) -> Fernet:
        if tenant == DEFAULT_TENANT:
            return self._app_key
        if tenant not in self._tenant_keys:
            self._tenant_keys[tenant] = Fernet(_derive(self._material, _INFO + b":" + tenant.encode()))
        return self._tenant_keys[tenant]

    def encrypt(self, text: str, tenant: str) -> str:
        return self._key(tenant).encrypt(text.encode()).decode()

    def decrypt(self, token: str, tenant: str) -> str:
        try:
            return self._key(tenant).decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise UndecryptableError(
                "the stored QuickBooks tokens cannot be decrypted (SECRET_KEY or WSQB_ENCRYPTION_KEY "
                "changed since they were saved)"
            ) from exc

    def can_decrypt(self, token: str, tenant: str) -> bool:
        try:
            self.decrypt(token, tenant)
        except UndecryptableError:
            return False
        return True


class UndecryptableError(ValueError):
    """Tokens encrypted under another key: only reconnecting gets readable ones."""
