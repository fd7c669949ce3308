"""A fake Bot Framework connector on 127.0.0.1, for the Teams channel's tests.

It plays all three Microsoft services the channel talks to:

- the OpenID metadata (``GET /v1/.well-known/openidconfiguration``) naming its JWKS
  (``GET /v1/.well-known/keys``): one RSA test key, endorsed for ``msteams``;
- the token endpoint (``POST /botframework.com/oauth2/v2.0/token``): client credentials,
  the right app id and password only;
- the connector (``POST /v3/conversations/{id}/activities``): a reply is recorded only
  with an access token it issued.

Anything else is 404: a renamed or misspelled call fails rather than passing.
``mint()`` makes the token the connector would send with an activity (or a wrong one:
another key, issuer, audience or service URL, expired).
"""
from __future__ import annotations

import itertools
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Optional
from urllib.parse import parse_qs, unquote, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from fakes import _FakeServer

ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"
TOKEN_PATH = "/botframework.com/oauth2/v2.0/token"
KEY_ID = "fake-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeBotFramework(_FakeServer):
    """The server's life (thread, start, stop, port) is the other fakes'; its answers
    depend on the method too, so it reads requests itself (``_handle``)."""

    def __init__(self, app_id: str, app_password: str):
        super().__init__()
        self.app_id, self.app_password = app_id, app_password
        self.key = new_key()
        self.replies: list[dict] = []  # {"conversation": id, "activity": body}
        self.requests: list[str] = []  # "METHOD path" of everything asked
        self.issued: set[str] = set()
        self.refuse_tokens = False
        self._ids = itertools.count(1)

    # ---- life -------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return self.base + METADATA_PATH

    @property
    def token_url(self) -> str:
        return self.base + TOKEN_PATH

    @property
    def service_url(self) -> str:
        return self.base + "/"  # as Teams sends it, with its trailing slash

    def replies_to(self, conversation_id: str) -> list[dict]:
        with self.lock:
            return [r["activity"] for r in self.replies if r["conversation"] == conversation_id]

    # ---- tokens for incoming requests -----------------------------------------------

    def mint(self, *, audience: Optional[str] = None, issuer: str = ISSUER, service_url: Optional[str] = None,
             expires_in: float = 3600, key: Optional[rsa.RSAPrivateKey] = None, kid: str = KEY_ID) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience or self.app_id, "serviceurl": service_url or self.service_url,
                  "nbf": now - 60, "iat": now - 60, "exp": int(now + expires_in)}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid})

    # ---- the services ---------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length).decode("utf-8") if length else ""
        with self.lock:
            self.requests.append(f"{method} {url.path}")
        status, body = self._answer(method, url.path, raw, req.headers)
        data = json.dumps(body).encode("utf-8")
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _answer(self, method: str, path: str, raw: str, headers) -> tuple[int, dict]:
        if method == "GET" and path == METADATA_PATH:
            return 200, {"issuer": ISSUER, "jwks_uri": self.base + KEYS_PATH,
                         "id_token_signing_alg_values_supported": ["RS256"],
                         "token_endpoint_auth_methods_supported": ["private_key_jwt"]}
        if method == "GET" and path == KEYS_PATH:
            jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return 200, {"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]}
        if method == "POST" and path == TOKEN_PATH:
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            if (self.refuse_tokens or form.get("grant_type") != "client_credentials"
                    or form.get("client_id") != self.app_id or form.get("client_secret") != self.app_password
                    or form.get("scope") != "https://api.botframework.com/.default"):
                return 401, {"error": "invalid_client"}
            token = f"fake-access-token-{next(self._ids)}"
            with self.lock:
                self.issued.add(token)
            return 200, {"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": token}
        parts = path.split("/")
        if method == "POST" and len(parts) == 5 and parts[1:3] == ["v3", "conversations"] and parts[4] == "activities":
            auth = headers.get("Authorization") or ""
            with self.lock:
                known = auth.startswith("Bearer ") and auth[7:] in self.issued
            if not known:
                return 401, {"message": "Authorization has been denied for this request."}
            activity = json.loads(raw)
            with self.lock:
                self.replies.append({"conversation": unquote(parts[3]), "activity": activity})
            return 201, {"id": f"reply-{next(self._ids)}"}
        return 404, {"error": "not found"}
