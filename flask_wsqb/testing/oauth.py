"""Intuit's OAuth 2.0 server: discovery document, consent page, token and revocation endpoints,
and the bearer-token check the API performs.

Refresh-token rotation: every refresh of the current refresh token issues a new one; the
predecessor keeps working for ``rotation_grace`` seconds after it was rotated and, while it does,
answers with the grant's *latest* refresh token (no further rotation) and a new access token.
Revoking any token of a grant revokes the whole grant, as Intuit does.

Authorization codes live ten minutes and are not part of :meth:`OAuthServer.state`; grants and
tokens are, so an app's stored tokens outlive a restart of a persistent emulator.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from .clock import Clock
from .faults import AUTH_FAILED, FORBIDDEN, ApiFault

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
CODE_TTL = 600
AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/oauth2/v1/tokens/revoke"
DISCOVERY_PATH = "/.well-known/openid_configuration"


@dataclass
class Grant:
    realm_id: str
    revoked: bool = False
    refresh_token: str = ""


@dataclass
class Token:
    grant: Grant
    expires_at: float
    rotated_at: float | None = None


@dataclass
class Code:
    realm_id: str
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class OAuthServer:
    clock: Clock
    client_id: str
    client_secret: str
    access_token_ttl: int
    refresh_token_ttl: int
    rotation_grace: int
    realms: Callable[[], dict[str, str]]
    auto_consent: bool = False
    consent_realm_id: str | None = None  # the company auto_consent consents for; None: the first
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _codes: dict[str, Code] = field(default_factory=dict)
    _access: dict[str, Token] = field(default_factory=dict)
    _refresh: dict[str, Token] = field(default_factory=dict)
    revision: int = 0  # counts changes to grants and tokens, so the emulator saves only after one

    # -- tokens -----------------------------------------------------------------------------------
    def issue(self, realm_id: str) -> tuple[str, str]:
        with self._lock:
            grant = Grant(realm_id)
            return self._new_access(grant), self._rotate(grant)

    def _new_access(self, grant: Grant) -> str:
        token = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(48)
        self._access[token] = Token(grant, self.clock.time() + self.access_token_ttl)
        self.revision += 1
        return token

    def _rotate(self, grant: Grant) -> str:
        token = "AB11" + secrets.token_hex(24)
        self._refresh[token] = Token(grant, self.clock.time() + self.refresh_token_ttl)
        grant.refresh_token = token
        self.revision += 1
        return token

    def expire_access_tokens(self) -> None:
        with self._lock:
            for token in self._access.values():
                token.expires_at = min(token.expires_at, self.clock.time() - 1)
            self.revision += 1

    def revoke_all(self) -> None:
        with self._lock:
            for token in self._access.values():
                token.grant.revoked = True
            for token in self._refresh.values():
                token.grant.revoked = True
            self.revision += 1

    def authenticate(self, authorization: str | None, realm_id: str) -> None:
        """Raise the fault QBO answers for a missing, unknown, expired, revoked or foreign token."""
        scheme, _, value = (authorization or "").partition(" ")
        with self._lock:
            token = self._access.get(value.strip()) if scheme.lower() == "bearer" else None
            if token is None or token.grant.revoked or token.expires_at <= self.clock.time():
                reason = "Token expired" if token and not token.grant.revoked else "Token invalid"
                raise ApiFault(AUTH_FAILED, f"{reason}: {value[:12]}...", status=401)
            if token.grant.realm_id != realm_id:
                raise ApiFault(
                    FORBIDDEN, f"Token was issued for realm {token.grant.realm_id}, not {realm_id}", status=403
                )

    # -- persistence ------------------------------------------------------------------------------
    def state(self) -> dict:
        """Grants and tokens, JSON-ready; a token names its grant by index, as grants are shared."""
        with self._lock:
            tokens = [*self._access.values(), *self._refresh.values()]
            grants = list({id(token.grant): token.grant for token in tokens}.values())
            index = {id(grant): number for number, grant in enumerate(grants)}

            def table(tokens: dict[str, Token]) -> dict[str, dict]:
                return {
                    value: {
                        "grant": index[id(token.grant)],
                        "expires_at": token.expires_at,
                        "rotated_at": token.rotated_at,
                    }
                    for value, token in tokens.items()
                }

            return {
                "grants": [asdict(grant) for grant in grants],
                "access": table(self._access),
                "refresh": table(self._refresh),
            }

    def restore(self, state: dict) -> None:
        grants = [Grant(**grant) for grant in state["grants"]]

        def table(tokens: dict[str, dict]) -> dict[str, Token]:
            return {
                value: Token(grants[token["grant"]], token["expires_at"], token["rotated_at"])
                for value, token in tokens.items()
            }

        with self._lock:
            self._access, self._refresh = table(state["access"]), table(state["refresh"])

    # -- HTTP endpoints ---------------------------------------------------------------------------
    def discovery(self, base_url: str) -> Response:
        document = {
            "issuer": f"{base_url}/op/v1",
            "authorization_endpoint": base_url + AUTHORIZE_PATH,
            "token_endpoint": base_url + TOKEN_PATH,
            "userinfo_endpoint": base_url + "/v1/openid_connect/userinfo",
            "revocation_endpoint": base_url + REVOKE_PATH,
            "jwks_uri": base_url + "/op/v1/jwks",
            "response_types_supported": ["code"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone", ACCOUNTING_SCOPE],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
        return _json(document)

    def authorize(self, request: Request) -> Response:
        args = request.values
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id:
            return _page("Error: invalid client_id", "The application is not known to Intuit.", 400)
        if urlsplit(redirect_uri).scheme not in ("http", "https") or not urlsplit(redirect_uri).netloc:
            return _page("Error: invalid redirect_uri", "The redirect_uri query parameter value is invalid.", 400)
        state = args.get("state", "")
        if args.get("response_type") != "code":
            return _redirect(redirect_uri, error="unsupported_response_type", state=state)
        if ACCOUNTING_SCOPE not in args.get("scope", "").split():
            return _redirect(redirect_uri, error="invalid_scope", state=state)
        realms = self.realms()
        if request.method == "POST":
            if args.get("action") != "connect":
                return _redirect(redirect_uri, error="access_denied", state=state)
            realm_id = args.get("realmId", "")
            if realm_id not in realms:
                return _page("Error: unknown company", "Choose one of your companies.", 400)
        elif self.auto_consent:
            realm_id = self.consent_realm_id or next(iter(realms))
        else:
            return self._consent_page(request, realms)
        code = "AB11" + secrets.token_hex(20)
        with self._lock:
            self._codes[code] = Code(realm_id, redirect_uri, self.clock.time() + CODE_TTL)
        return _redirect(redirect_uri, code=code, state=state, realmId=realm_id)

    def _consent_page(self, request: Request, realms: dict[str, str]) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in request.args.items()
        )
        options = "".join(f'<option value="{html.escape(r)}">{html.escape(n)}</option>' for r, n in realms.items())
        body = (
            f'<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
            f'<label>Company <select name="realmId" id="realmId">{options}</select></label>'
            '<button type="submit" name="action" value="connect" id="connect">Connect</button>'
            '<button type="submit" name="action" value="cancel" id="cancel">Cancel</button>'
            "</form>"
        )
        return _page("Connect to QuickBooks", body, 200, raw=True)

    def token(self, request: Request) -> Response:
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or auth.username != self.client_id
            or auth.password != self.client_secret
        ):
            return _json({"error": "invalid_client"}, 401)
        grant_type = request.form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                grant = self._redeem(request.form.get("code", ""), request.form.get("redirect_uri", ""))
                refresh = self._rotate(grant) if grant else ""
            elif grant_type == "refresh_token":
                grant, refresh = self._refresh_grant(request.form.get("refresh_token", ""))
            else:
                return _json({"error": "unsupported_grant_type"}, 400)
            if grant is None:
                return _json({"error": "invalid_grant"}, 400)
            now = self.clock.time()
            return _json(
                {
                    "token_type": "bearer",
                    "access_token": self._new_access(grant),
                    "refresh_token": refresh,
                    "expires_in": self.access_token_ttl,
                    "x_refresh_token_expires_in": int(self._refresh[refresh].expires_at - now),
                }
            )

    def _redeem(self, code_value: str, redirect_uri: str) -> Grant | None:
        code = self._codes.get(code_value)
        if code is None or code.used or code.expires_at <= self.clock.time():
            return None
        code.used = True
        if code.redirect_uri != redirect_uri:
            return None
        return Grant(code.realm_id)

    def _refresh_grant(self, value: str) -> tuple[Grant | None, str]:
        token = self._refresh.get(value)
        now = self.clock.time()
        if token is None or token.grant.revoked or token.expires_at <= now:
            return None, ""
        if token.rotated_at is not None:
            if now > token.rotated_at + self.rotation_grace:
                return None, ""
            return token.grant, token.grant.refresh_token
        token.rotated_at = now
        return token.grant, self._rotate(token.grant)

    def revoke(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or auth.username != self.client_id or auth.password != self.client_secret:
            return _json({"error": "invalid_client"}, 401)
        try:
            value = json.loads(request.get_data(as_text=True))["token"]
        except (ValueError, KeyError, TypeError):
            return _json({"error": "invalid_request"}, 400)
        with self._lock:
            token = self._refresh.get(value) or self._access.get(value)
            if token is not None:
                token.grant.revoked = True
                self.revision += 1
        return Response(b"", 200)


def _json(document: dict, status: int = 200) -> Response:
    return Response(
        json.dumps(document), status, content_type="application/json", headers={"Cache-Control": "no-store"}
    )


def _redirect(redirect_uri: str, **params: str) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return Response(b"", 302, headers={"Location": redirect_uri + separator + urlencode(params)})


def _page(title: str, body: str, status: int, *, raw: bool = False) -> Response:
    content = body if raw else f"<p>{html.escape(body)}</p>"
    return Response(
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>{content}</body></html>",
        status,
        content_type="text/html; charset=utf-8",
    )
