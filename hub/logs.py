"""The operator's log: one line per thing that happened, as text or as JSON.

What the hub does by itself that an operator may have to answer for (an
escalation, an expiry, a duty alert, a revocation, a refusal) is logged once, with
its ids as fields (`extra=`): `event`, `case_id`, `handoff_id`, `party_id`,
`reason`, and whatever else the line carries. The text format appends them as
key=value; `--log-format json` writes one JSON object per line for a log shipper.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

FORMATS = ("text", "json")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def fields(record: logging.LogRecord) -> dict[str, object]:
    """The structured fields a line was logged with, unset ones left out."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and v not in (None, "")}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in fields(record).items())
        return f"{line} {extra}" if extra else line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


_OURS = "lifeline_handler"


def configure(level: int = logging.INFO, log_format: str = "text") -> None:
    """Sets up the root logger; libraries' routine chatter only at DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    # Replaces only the handler configure() put there before: a CLI run inside another
    # program (a test's log capture, say) leaves that program's handlers alone.
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.DEBUG if level <= logging.DEBUG else logging.WARNING
    # Schema upgrades are routine; APScheduler says "Running job" at every run.
    for name in ("alembic", "apscheduler"):
        logging.getLogger(name).setLevel(quiet)
