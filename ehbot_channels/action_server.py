"""The action server ``ehbot run`` starts: Rasa SDK's, on a chosen interface, behind a token.

    python -m ehbot_channels.action_server --actions actions --interface 127.0.0.1 --port 5055

Rasa SDK's own ``rasa run actions`` listens on every interface unless ``SANIC_HOST``
says otherwise, and lets anyone who reaches it run any action for any sender id. Here:

- it listens on ``--interface`` (else ``EHBOT_ACTIONS_INTERFACE``, else 127.0.0.1);
- with ``EHBOT_ACTIONS_TOKEN`` set, every request but ``/health`` must carry
  ``Authorization: Bearer <token>`` (Rasa sends it: bot/run.py writes the header into
  the endpoints file as ``${EHBOT_ACTIONS_TOKEN}``); without it the answer is 401;
- it refuses to start on a non-local interface without a token (bot/run.py ``exposure``);
- no CORS: only Rasa calls it, never a browser.

The token comes from the environment only: never from the command line or a file.
"""
from __future__ import annotations

import hmac
import logging
import os
import sys
from typing import Optional

from sanic import Sanic, response
from sanic.request import Request

from bot.run import RefusedToStart, exposure

logger = logging.getLogger(__name__)

OPEN_PATHS = {"/health"}  # what a load balancer or `ehbot run` polls; says nothing


def require_token(app: Sanic, token: Optional[str]) -> None:
    """Refuse (401) any request but the health check that lacks ``Authorization: Bearer <token>``."""
    if not token:
        return
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def check_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = (request.headers.get("Authorization") or "").encode()
        if hmac.compare_digest(given, expected):
            return None
        # Neither the token nor the request body goes to the log.
        logger.warning("action server: refused a request to %s without the action token", request.path)
        return response.json({"error": "missing or wrong action server token"}, status=401)


def create_app(actions: str, token: Optional[str]) -> Sanic:
    from rasa_sdk.endpoint import create_app as sdk_app

    app = sdk_app(actions, cors_origins=None)
    require_token(app, token)
    return app


def main(argv: Optional[list] = None) -> int:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_argument_parser, create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    parser = create_argument_parser()
    parser.add_argument("--interface", default=None, help="the interface to listen on (default 127.0.0.1)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.interface:
        env["EHBOT_ACTIONS_INTERFACE"] = args.interface
    try:
        settings = exposure(env)
    except RefusedToStart as exc:
        print(f"ehbot action server: {exc}", file=sys.stderr)
        return 2

    # The SDK's own default is INFO whatever LOG_LEVEL says; `ehbot run` sets LOG_LEVEL (EHBOT_LOG_LEVEL).
    level = args.loglevel
    if args.loglevel == logging.INFO and os.environ.get("LOG_LEVEL", "").upper() in ("DEBUG", "WARNING", "ERROR"):
        level = logging.getLevelName(os.environ["LOG_LEVEL"].upper())
    utils.configure_colored_logging(level)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, level,
                                 args.logging_config_file)
    utils.update_sanic_log_level()

    app = create_app(args.actions, os.environ.get("EHBOT_ACTIONS_TOKEN") or None)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    guarded = "with a token" if settings.actions_token else "without a token (local only)"
    logger.info("action server on %s:%s, %s", settings.actions_interface, args.port, guarded)
    app.run(settings.actions_interface, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
