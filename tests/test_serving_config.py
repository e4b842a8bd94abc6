"""Settings from the environment and a file, the CPU budget, the metrics directory, and the
worker's per-connection deadline, without starting a server."""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.serving import runtime
from service.serving.auth import AuthConfigError
from service.serving.connection import ClientTimeout, DeadlineSocket
from service.serving.settings import load, table


def settings_from_env(env: dict[str, str]) -> dict[str, object]:
    settings = load(env)
    return {
        "bind": settings.bind,
        "read_timeout": settings.read_timeout,
        "loglevel": settings.log_level,
        **{
            name: getattr(settings, name)
            for name in [
                "workers",
                "timeout",
                "graceful_timeout",
                "max_requests",
                "max_requests_jitter",
                "limit_request_line",
                "limit_request_fields",
                "limit_request_field_size",
            ]
        },
    }


def test_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "available_cpus", lambda: 2)
    settings = settings_from_env({})
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["workers"] == 3
    assert settings["timeout"] == 15
    assert settings["read_timeout"] == 10
    assert settings["graceful_timeout"] == 20
    assert settings["max_requests"] == 20000
    assert settings["max_requests_jitter"] == 2000
    assert settings["limit_request_line"] == 4094
    assert settings["limit_request_fields"] == 50
    assert settings["limit_request_field_size"] == 8190
    assert settings["loglevel"] == "info"


def test_environment_overrides_each_setting() -> None:
    settings = settings_from_env(
        {
            "NETADVISOR_HOST": "0.0.0.0",
            "NETADVISOR_PORT": "9000",
            "NETADVISOR_WORKERS": "5",
            "NETADVISOR_LOG_LEVEL": "WARNING",
            "GUNICORN_TIMEOUT": "30",
            "GUNICORN_READ_TIMEOUT": "20",
            "GUNICORN_GRACEFUL_TIMEOUT": "25",
            "GUNICORN_MAX_REQUESTS": "0",
            "GUNICORN_LIMIT_REQUEST_LINE": "8190",
        }
    )
    assert settings["bind"] == ["0.0.0.0:9000"]
    assert settings["workers"] == 5
    assert settings["loglevel"] == "warning"
    assert (settings["timeout"], settings["read_timeout"]) == (30, 20)
    assert settings["graceful_timeout"] == 25
    assert settings["max_requests"] == 0
    assert settings["limit_request_line"] == 8190


def test_ipv6_host_is_bracketed() -> None:
    assert settings_from_env({"NETADVISOR_HOST": "::1"})["bind"] == ["[::1]:8000"]


def test_a_short_worker_timeout_lowers_the_default_read_deadline() -> None:
    settings = settings_from_env({"GUNICORN_TIMEOUT": "4"})
    assert settings["read_timeout"] == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NETADVISOR_WORKERS": "many"}, "NETADVISOR_WORKERS='many' is not an integer"),
        ({"NETADVISOR_WORKERS": "0"}, "NETADVISOR_WORKERS=0 must be >= 1"),
        ({"NETADVISOR_PORT": "70000"}, "NETADVISOR_PORT=70000 must be >= 1 and <= 65535"),
        ({"NETADVISOR_LOG_LEVEL": "loud"}, "NETADVISOR_LOG_LEVEL='loud' must be one of"),
        ({"GUNICORN_READ_TIMEOUT": "15"}, "must be below GUNICORN_TIMEOUT=15"),
        ({"GUNICORN_LIMIT_REQUEST_LINE": "100000"}, "GUNICORN_LIMIT_REQUEST_LINE=100000"),
    ],
)
def test_unusable_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(runtime.SettingError, match=message.replace("(", r"\(")):
        settings_from_env(env)


def _cgroup(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "cap"),
    [
        ({"cpu.max": "100000 100000\n"}, 1),  # cgroup v2, a limit of 1 CPU
        ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs round up
        ({"cpu.max": "max 100000\n"}, None),  # no limit
        ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_cpus_follow_the_container_limit(
    tmp_path: Path, files: dict[str, str], cap: int | None
) -> None:
    root = _cgroup(tmp_path, files)
    affinity = runtime.available_cpus(tmp_path / "nowhere")
    expected = affinity if cap is None else min(affinity, cap)
    assert runtime.available_cpus(root) == expected


def test_default_workers_keep_a_spare() -> None:
    assert runtime.default_workers(1) == 2
    assert runtime.default_workers(2) == 3
    assert runtime.default_workers(8) == 9


def test_metrics_dir_is_created_or_cleared(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    created, owned = runtime.prepare_metrics_dir(None, env)
    try:
        assert owned
        assert env["PROMETHEUS_MULTIPROC_DIR"] == str(created)
        assert created.is_dir()
    finally:
        created.rmdir()
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"old")
    (given / "keep.txt").write_text("not ours")
    path, owned = runtime.prepare_metrics_dir(str(given), {})
    assert (path, owned) == (given, False)
    assert sorted(p.name for p in given.iterdir()) == ["keep.txt"]


@pytest.fixture
def pair() -> Iterator[tuple[DeadlineSocket, socket.socket]]:
    server_end, client_end = socket.socketpair()
    conn = DeadlineSocket(
        server_end.family, server_end.type, server_end.proto, fileno=server_end.detach()
    )
    conn.send_timeout = 1.0
    conn.phase = "headers"
    conn.deadline = time.monotonic() + 0.3
    yield conn, client_end
    conn.close()
    client_end.close()


def test_deadline_covers_the_whole_request_not_each_read(
    pair: tuple[DeadlineSocket, socket.socket],
) -> None:
    conn, client = pair
    started = time.monotonic()
    received = b""
    with pytest.raises(ConnectionResetError) as raised:
        while True:
            # A byte every 0.1 s would reset a per-read timeout forever.
            client.send(b"x")
            received += conn.recv(10)
            time.sleep(0.1)
    assert raised.value.errno == errno.ECONNRESET
    assert 0.25 < time.monotonic() - started < 1.0
    assert received.startswith(b"x")
    client.settimeout(1)
    answer = client.recv(1000)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.startswith(b"Content-Length")
    )
    assert length == len(body)


def test_body_read_past_the_deadline_raises_for_the_app(
    pair: tuple[DeadlineSocket, socket.socket],
) -> None:
    conn, client = pair
    conn.phase = "body"
    with pytest.raises(ClientTimeout):
        conn.recv(10)
    client.settimeout(0.2)
    with pytest.raises(TimeoutError):
        client.recv(10)  # nothing was written: the app answers


@pytest.mark.parametrize(
    ("value", "seconds"), [("", 30.0), ("5", 5.0), ("2.5", 2.5), ("86400", 86400.0)]
)
def test_token_reload_interval_is_read(value: str, seconds: float) -> None:
    env = {"NETADVISOR_API_TOKENS_RELOAD_SECONDS": value}
    assert load(env).api_tokens_reload_seconds == seconds


@pytest.mark.parametrize("value", ["abc", -1, 0, "0.5", "nan", "inf", True, 86401, [1]])
def test_a_bad_token_reload_interval_names_the_variable(value: object) -> None:
    with pytest.raises(ValueError, match=r"NETADVISOR_API_TOKENS_RELOAD_SECONDS=.* from 1"):
        load({}, {"API_TOKENS_RELOAD_SECONDS": value})


@pytest.mark.parametrize("raw", ["", " ", "[]", '[""]', "null", " , "])
def test_set_but_empty_tokens_fail_closed_when_settings_are_read(raw: str) -> None:
    with pytest.raises(AuthConfigError, match="NETADVISOR_API_TOKENS is set but holds no token"):
        load({"NETADVISOR_API_TOKENS": raw})


def test_unset_tokens_mean_no_authentication() -> None:
    assert load({}).api_tokens is None


def test_a_settings_file_is_read_before_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "netadvisor.toml"
    file.write_text('NETADVISOR_WORKERS = 3\nNETADVISOR_CORS_ORIGINS = ["https://a.example"]\n')
    env = {"NETADVISOR_SETTINGS_FILE": str(file), "NETADVISOR_WORKERS": "4"}
    settings = load(env)
    assert (settings.workers, settings.cors_origins) == (4, ("https://a.example",))
    file.write_text("NETADVISOR_WORKER = 3\n")
    with pytest.raises(runtime.SettingError, match="no such setting: NETADVISOR_WORKER"):
        load(env)


def test_the_settings_table_in_the_docs_is_the_settings_object() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()
    assert table() in docs
