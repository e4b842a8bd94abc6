"""JSON log lines on stdout for the app and gunicorn; access and decision lines share the shape."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from pythonjsonlogger.orjson import OrjsonFormatter

from service.serving.context import context_fields, current_environ
from service.serving.events import MAX_LINE, bounded_json


class JsonFormatter(OrjsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, then the extras."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        super().__init__(**kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # The fixed fields are set directly, and the extras are every record attribute
        # that is not one of logging's own (the library's generic version renames and
        # re-checks each attribute and costs several times as much).
        log_data["timestamp"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        log_data["level"] = record.levelname.lower()
        log_data["logger"] = record.name
        log_data["message"] = record.message
        if message_dict:
            log_data.update(message_dict)
        skip = self._skip_fields
        for key, value in record.__dict__.items():
            if key not in skip:
                log_data[key] = value

    def jsonify_log_record(self, log_data: dict[str, Any]) -> str:
        line = super().jsonify_log_record(log_data)
        # One write of at most PIPE_BUF bytes with the handler's newline (see
        # service.serving.events); most lines are far shorter, so bytes are counted
        # only when the characters could reach the limit.
        if len(line) < MAX_LINE // 4 or len(line.encode()) < MAX_LINE:
            return line
        return bounded_json(
            log_data,
            option=orjson.OPT_NON_STR_KEYS,
            default=self.json_default or str,
            limit=MAX_LINE - 1,
        ).decode()


class RequestContextFilter(logging.Filter):
    """Adds the current request id and trace id to records that lack them, so an app log
    line can be joined with the request's access line and the caller's trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        environ = current_environ.get()
        if environ is not None:
            for name, value in context_fields(environ).items():
                if not hasattr(record, name):
                    setattr(record, name, value)
        return True


def logging_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping that sends every logger to stdout as JSON."""
    upper = level.upper()
    stdout = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
        "formatter": "json",
        "filters": ["request_context"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"request_context": {"()": RequestContextFilter}},
        "handlers": {"stdout": stdout},
        "root": {"level": upper, "handlers": ["stdout"]},
        "loggers": {
            # gunicorn's own loggers are configured explicitly because its defaults
            # send the error log to stderr in plain text.
            "gunicorn.error": {"level": upper, "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }
