"""Posting a reply to the Bot Framework connector, without blocking the server.

Rasa 3.6 fetches its access token and posts each reply with ``requests`` inside the
event loop, so a slow Microsoft endpoint holds up every conversation. Here both go
through aiohttp. The token (client credentials for scope
``https://api.botframework.com/.default``) is kept until five minutes before it
expires, per channel rather than in a class attribute shared by every app id.

The token endpoint is a setting (``token_url``): Microsoft's multi-tenant one by
default; a single-tenant bot needs its tenant's,
``https://login.microsoftonline.com/<tenant id>/oauth2/v2.0/token``; tests use the fake
connector's. A reply goes to the activity's ``serviceUrl`` (checked against the token
that came with it, teams_auth.py).

A refused post raises ``ConnectorError`` (status only: a body can echo the message).
A 401 gets one more try with a fresh token; a 429 waits (``Retry-After``, at most
ten seconds) and tries again, twice at most: nothing was posted. A 5xx is not retried:
the reply may have been posted.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
SCOPE = "https://api.botframework.com/.default"
EARLY_RENEWAL = 300.0
RATE_LIMIT_TRIES = 2
MAX_RETRY_AFTER = 10.0


class ConnectorError(Exception):
    pass


class Connector:
    """One app's access token and its posts."""

    def __init__(self, app_id: str, app_password: str, token_url: str = MICROSOFT_TOKEN_URL, timeout: float = 15.0,
                 clock: Callable[[], float] = time.monotonic):
        self.app_id, self.app_password, self.token_url = app_id, app_password, token_url
        self.timeout, self.clock = timeout, clock
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))

    async def token(self) -> str:
        async with self._lock:
            if self._token and self.clock() < self._expires_at:
                return self._token
            form = {"grant_type": "client_credentials", "client_id": self.app_id,
                    "client_secret": self.app_password, "scope": SCOPE}
            try:
                async with self._session() as session, session.post(self.token_url, data=form) as response:
                    if response.status != 200:
                        raise ConnectorError(f"the token endpoint refused ({response.status})")
                    body = await response.json(content_type=None)
                    self._token = str(body["access_token"])
                    self._expires_at = self.clock() + float(body.get("expires_in", 3600)) - EARLY_RENEWAL
            except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, TypeError, ValueError) as exc:
                raise ConnectorError(f"no access token ({type(exc).__name__})") from None
            return self._token

    def forget_token(self) -> None:
        self._token, self._expires_at = None, 0.0

    async def post(self, service_url: str, conversation_id: str, activity: Dict[str, Any]) -> None:
        """Posts ``activity`` to the conversation. Raises ConnectorError."""
        url = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        fresh_token_tried, rate_limited = False, 0
        while True:
            headers = {"Authorization": f"Bearer {await self.token()}"}
            try:
                async with self._session() as session, session.post(url, json=activity, headers=headers) as response:
                    status, retry_after = response.status, response.headers.get("Retry-After")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise ConnectorError(f"the connector did not answer ({type(exc).__name__})") from None
            if 200 <= status < 300:
                return
            if status == 401 and not fresh_token_tried:
                fresh_token_tried = True
                self.forget_token()
                continue
            if status == 429 and rate_limited < RATE_LIMIT_TRIES:
                rate_limited += 1
                await asyncio.sleep(_seconds(retry_after))
                continue
            raise ConnectorError(f"the connector refused the reply ({status})")


def _seconds(retry_after: Optional[str]) -> float:
    try:
        return min(max(float(retry_after or 1), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 1.0
