"""Action server responses are checked against one validator, built once (ehbot_channels/action_responses.py)."""
from __future__ import annotations

import sqlite3

import pytest

from ehbot_channels import rasa_server
from ehbot_channels.action_responses import check_responses_with_one_validator

GOOD = {"events": [{"event": "slot", "timestamp": None, "name": "pending", "value": None}],
        "responses": [{"text": "Recorded on C-1042", "buttons": [{"title": "What's next?", "payload": "/status"}]}]}
BAD = {"events": "not a list of events", "responses": []}


@pytest.fixture
def schema_checks(monkeypatch):
    """How many times the response schema itself is checked against the meta-schema."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    validator_class = validator_for(RemoteAction.action_response_format_spec())
    check = validator_class.check_schema.__func__
    calls = []

    def counted(cls, schema, *args, **kwargs):
        calls.append(1)
        return check(cls, schema, *args, **kwargs)

    monkeypatch.setattr(validator_class, "check_schema", classmethod(counted))
    return calls


def test_the_schema_is_checked_once_not_on_every_response(schema_checks):
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    class Remote(RemoteAction):  # a class of the test's own: Rasa's stays as it is
        pass

    action = Remote("action_case_status", None)
    for _ in range(3):
        assert action._validate_action_result(GOOD)
    assert len(schema_checks) == 3  # Rasa's own: once per response

    check_responses_with_one_validator(Remote)
    patched = Remote._validate_action_result
    check_responses_with_one_validator(Remote)  # once is enough: not wrapped twice
    assert Remote._validate_action_result is patched
    for _ in range(20):
        assert action._validate_action_result(GOOD) is True
    assert len(schema_checks) == 4  # the one check when the validator was built

    with pytest.raises(ValidationError, match="Failed to validate Action server response"):  # Rasa's own error
        action._validate_action_result(BAD)


def test_the_rasa_server_entry_point_applies_it(monkeypatch, tmp_path):
    import rasa.__main__
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import UserMessage

    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)  # put back
    monkeypatch.setattr(UserMessage, "__init__", UserMessage.__init__)
    monkeypatch.setattr(rasa.__main__, "main", lambda: None)
    monkeypatch.setattr("sys.argv", ["ehbot_channels.rasa_server", "run"])
    tracker = tmp_path / "rasa-tracker.sqlite3"
    monkeypatch.setenv("EHBOT_TRACKER_URL", f"sqlite:///{tracker}")
    rasa_server.main()
    assert sqlite3.connect(tracker).execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # the tracker store too
    assert getattr(RemoteAction._validate_action_result, "ehbot_one_validator", False)
    assert RemoteAction("action_case_status", None)._validate_action_result(GOOD) is True
