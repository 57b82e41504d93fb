"""Custom actions (rasa-sdk) of the pre-therapy guidance assistant.

Importing the package inside `rasa run actions` puts the action server behind its token and on
127.0.0.1 (actions/server_auth.py), and scrubs personal data from its logs (privacy/logs.py).
"""
from actions.server_auth import protect_running_action_server
from privacy.logs import install as _scrub_logs

_scrub_logs()
protect_running_action_server()
