"""
Hypercorn's settings for the Procfile's web process (`hypercorn --config
python:web.hypercorn_config ...`): hypercorn's own log lines go through structlog like
every other line (`create_app_from_env` configures it), not to stderr as plain text.

(No `from __future__ import annotations` here: hypercorn copies every public name of this
module into its config, and pickles that for its worker.)
"""

import logging

# A logger, not a path: hypercorn then leaves its handlers alone, and its lines reach the
# root logger, where web.logs renders them as JSON (or for a terminal).
errorlog = logging.getLogger("hypercorn.error")
accesslog = None
worker_class = "uvloop"
# Serve in hypercorn's own process, as `serve` does: a worker process that refuses to
# start (exit 2) is otherwise reported by hypercorn's parent as a clean exit 0.
workers = 0
# Requests get the drain time of DRAIN_TIMEOUT_S's default, then the lifespan drains.
graceful_timeout = 20.0
shutdown_timeout = 30.0
