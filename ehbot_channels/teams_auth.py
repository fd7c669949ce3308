"""Is an incoming Teams request really from the Bot Framework connector?

The connector signs every request it sends with a JWT (``Authorization: Bearer …``).
The check is the Bot Connector's own (Microsoft's "Authenticate requests from the Bot
Connector service", as the Bot Framework SDK does it):

- signed RS256 by a key from the JWKS named by the OpenID metadata document
  (``openid_metadata_url``: Microsoft's by default; in tests the fake connector's);
- issuer ``https://api.botframework.com``, audience our app id, not expired
  (five minutes' leeway for clock skew, as the SDK allows);
- the key is endorsed for the activity's channel (``msteams``) when the key lists
  endorsements;
- the token's ``serviceurl`` claim is the activity's ``serviceUrl``: the reply (with our
  own access token) goes there, so it must be the one Microsoft vouched for.

The metadata and keys are fetched when first needed, not at start-up, again after a
day, and again (at most every five minutes) when a token names a key not seen yet:
Microsoft rotates its keys. Nothing here logs a token.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Dict, Mapping, Optional

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger(__name__)

MICROSOFT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
ISSUER = "https://api.botframework.com"
ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 300
KEYS_MAX_AGE = 24 * 3600.0
UNKNOWN_KEY_REFETCH = 300.0  # at most this often for a key id not in the set


class Refused(Exception):
    """The request is not from the connector (the message says why, never the token)."""


class KeysUnavailable(Exception):
    """The metadata or the keys could not be fetched: nothing can be checked."""


class ConnectorKeys:
    """Microsoft's (or a stand-in's) signing keys, by key id, fetched when needed."""

    def __init__(self, metadata_url: str = MICROSOFT_OPENID_METADATA_URL, timeout: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.metadata_url, self.timeout, self.clock = metadata_url, timeout, clock
        self._keys: Dict[str, Dict[str, Any]] = {}
        self._fetched_at: Optional[float] = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Dict[str, Any]:
        """The JWK with this id. Raises Refused (no such key) or KeysUnavailable."""
        now = self.clock()
        stale = self._fetched_at is None or now - self._fetched_at > KEYS_MAX_AGE
        unknown = kid not in self._keys and not stale and now - self._fetched_at > UNKNOWN_KEY_REFETCH
        if stale or unknown:
            await self._refresh()
        if kid not in self._keys:
            raise Refused("the token's key is not one of the connector's")
        return self._keys[kid]

    async def _refresh(self) -> None:
        async with self._lock:
            try:
                timeout = aiohttp.ClientTimeout(total=self.timeout)
                async with aiohttp.ClientSession(timeout=timeout) as session:
                    async with session.get(self.metadata_url) as response:
                        response.raise_for_status()
                        metadata = await response.json(content_type=None)
                    async with session.get(metadata["jwks_uri"]) as response:
                        response.raise_for_status()
                        keys = (await response.json(content_type=None))["keys"]
            except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, TypeError, ValueError) as exc:
                logger.warning("could not fetch the Bot Framework signing keys (%s)", type(exc).__name__)
                if not self._keys:
                    raise KeysUnavailable() from None
                # The keys we have still check the tokens signed with them; try again in a while.
                self._fetched_at = self.clock() - KEYS_MAX_AGE + UNKNOWN_KEY_REFETCH
                return
            self._keys = {k["kid"]: k for k in keys if isinstance(k, dict) and k.get("kid")}
            self._fetched_at = self.clock()


def bearer(header: Optional[str]) -> str:
    if not header or not header.startswith("Bearer ") or not header[7:].strip():
        raise Refused("no bearer token")
    return header[7:].strip()


async def check(authorization: Optional[str], activity: Mapping[str, Any], keys: ConnectorKeys, app_id: str) -> None:
    """Raises Refused unless the header carries a valid connector token for this activity."""
    token = bearer(authorization)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Refused("not a JWT") from None
    if header.get("alg") not in ALGORITHMS:
        raise Refused("not signed RS256")
    jwk = await keys.key(str(header.get("kid") or ""))
    channel_id = activity.get("channelId")
    endorsements = jwk.get("endorsements")
    if channel_id and isinstance(endorsements, list) and channel_id not in endorsements:
        raise Refused("the key is not endorsed for this channel")
    try:
        claims = jwt.decode(
            token, key=RSAAlgorithm.from_jwk(jwk), algorithms=ALGORITHMS, audience=app_id, issuer=ISSUER,
            leeway=LEEWAY_SECONDS, options={"require": ["exp", "iss", "aud"]},
        )
    except (jwt.PyJWTError, ValueError) as exc:
        raise Refused(f"invalid token ({type(exc).__name__})") from None
    if claims.get("serviceurl") != activity.get("serviceUrl"):
        raise Refused("the token is for another service URL")
