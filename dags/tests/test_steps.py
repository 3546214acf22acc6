"""The steps' pure parts: settings, the local producer run, polling for rows."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException
from conftest import TARGET_ENVIRONMENT

from users_pipeline_tasks.cassandra import split_hosts
from users_pipeline_tasks.settings import (
    SettingsError,
    cql_identifier,
    integer_value,
    load_settings,
    producer_command,
    producer_environment,
)
from users_pipeline_tasks.steps import (
    local_producer_environment,
    run_local_producer,
    summary_of,
    wait_for_rows,
)


def test_load_settings_per_target() -> None:
    env = {"AIRFLOW_VAR_PIPELINE_TARGET": "kubernetes", **TARGET_ENVIRONMENT["kubernetes"]}
    settings = load_settings(env)
    assert settings.target == "kubernetes"
    assert settings.schedule == "@hourly"
    assert settings.verify_timeout == timedelta(seconds=600)  # the Airflow component's default
    assert settings.kubernetes_namespace == "data-pipeline"
    docker = load_settings({"AIRFLOW_VAR_PIPELINE_TARGET": "docker"})
    assert docker.docker_url == "tcp://docker-socket-proxy:2375"
    assert docker.docker_network is None


@pytest.mark.parametrize("target", ["", "Docker", "ecs"])
def test_unknown_target_is_refused(target: str) -> None:
    with pytest.raises(SettingsError, match=r"AIRFLOW_VAR_PIPELINE_TARGET is .*docker, kubernetes, local"):
        load_settings({"AIRFLOW_VAR_PIPELINE_TARGET": target})


@pytest.mark.parametrize(("text", "value"), [(None, 10_000), ("", 10_000), (" 12 ", 12), ("1", 1)])
def test_integer_value(text: str | None, value: int) -> None:
    assert integer_value("AIRFLOW_VAR_PRODUCER_COUNT", text) == value


@pytest.mark.parametrize("text", ["0", "-3", "ten", "1.5"])
def test_integer_value_refuses(text: str) -> None:
    with pytest.raises(SettingsError, match="Set AIRFLOW_VAR_PRODUCER_COUNT to an integer >= 1"):
        integer_value("AIRFLOW_VAR_PRODUCER_COUNT", text)


def test_cql_identifier() -> None:
    assert cql_identifier("K", "pipeline_1") == "pipeline_1"
    for bad in ["", "1abc", "users; DROP TABLE x", "a" * 49, "p-ipeline"]:
        with pytest.raises(SettingsError, match="CQL identifier"):
            cql_identifier("K", bad)


def test_producer_environment() -> None:
    assert producer_environment(None) == {}
    assert producer_environment('{"PRODUCER_BROKERS": "k:9092", "PRODUCER_RATE": 10}') == {
        "PRODUCER_BROKERS": "k:9092",
        "PRODUCER_RATE": "10",
    }
    for bad in ["[1]", "{oops", '{"PATH": "/tmp"}']:
        with pytest.raises(SettingsError):
            producer_environment(bad)


def test_producer_command() -> None:
    assert producer_command('["npx", "tsx", "producer/src/cli.ts"]') == ["npx", "tsx", "producer/src/cli.ts"]
    for bad in [None, "", "npx tsx", "[]", '["npx", 3]', '[""]']:
        with pytest.raises(SettingsError, match="AIRFLOW_VAR_PRODUCER_COMMAND"):
            producer_command(bad)


def test_split_hosts() -> None:
    assert split_hosts("cassandra-0.cassandra, cassandra-1.cassandra,") == [
        "cassandra-0.cassandra",
        "cassandra-1.cassandra",
    ]
    assert split_hosts(None) == []


def test_local_environment_drops_inherited_producer_variables() -> None:
    environment = local_producer_environment(
        {"PATH": "/bin", "PRODUCER_TOPIC": "stale", "PRODUCER_SEED": "1"},
        {"PRODUCER_TOPIC": "users", "PRODUCER_BROKERS": "k:9092"},
        250,
    )
    assert environment == {
        "PATH": "/bin",
        "PRODUCER_TOPIC": "users",
        "PRODUCER_BROKERS": "k:9092",
        "PRODUCER_COUNT": "250",
    }


def summary_line(sent: int) -> str:
    return json.dumps({"event": "summary", "sent": sent, "failed": 0, "seconds": 1.2})


def test_summary_of_takes_the_last_summary_line() -> None:
    stdout = "\n".join(['{"event": "start"}', "not json", summary_line(5), '{"event": "other"}'])
    assert summary_of(stdout) == {"event": "summary", "sent": 5, "failed": 0, "seconds": 1.2}
    assert summary_of("nothing") is None


class FakeRunner:
    def __init__(self, returncode: int, stdout: str, stderr: str = "") -> None:
        self.result = subprocess.CompletedProcess(["producer"], returncode, stdout, stderr)
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((command, kwargs))
        return self.result


def test_run_local_producer_passes_command_env_and_timeout() -> None:
    runner = FakeRunner(0, summary_line(10))
    summary = run_local_producer(["producer", "--x"], {"PRODUCER_COUNT": "10"}, 10, 60.0, runner)
    assert summary["sent"] == 10
    [(command, kwargs)] = runner.calls
    assert command == ["producer", "--x"]
    assert kwargs["env"] == {"PRODUCER_COUNT": "10"}
    assert kwargs["timeout"] == 60.0


def test_run_local_producer_fails_on_exit_status() -> None:
    runner = FakeRunner(1, "", "producer: topic users does not exist\n")
    with pytest.raises(AirflowException, match="exited 1: producer: topic users does not exist"):
        run_local_producer(["producer"], {}, 10, 60.0, runner)


def test_run_local_producer_fails_when_fewer_records_were_sent() -> None:
    with pytest.raises(AirflowException, match="summary says"):
        run_local_producer(["producer"], {}, 10, 60.0, FakeRunner(0, summary_line(7)))
    with pytest.raises(AirflowException, match="summary says None"):
        run_local_producer(["producer"], {}, 10, 60.0, FakeRunner(0, ""))


def test_run_local_producer_reports_a_missing_command_and_a_timeout() -> None:
    def missing(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(2, "No such file or directory", command[0])

    def slow(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    with pytest.raises(AirflowException, match="No such file or directory"):
        run_local_producer(["nope"], {}, 1, 5.0, missing)
    with pytest.raises(AirflowException, match="still running after 5 s"):
        run_local_producer(["producer"], {}, 1, 5.0, slow)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_for_rows_returns_once_the_count_is_reached() -> None:
    counts = iter([100, None, 1050, 1100])
    clock = Clock()
    assert wait_for_rows(lambda: next(counts), 1100, 60, 5, clock, clock.sleep) == 1100
    assert clock.sleeps == [5, 5, 5]


def test_wait_for_rows_fails_after_the_timeout() -> None:
    clock = Clock()
    with pytest.raises(AirflowException, match="1000 rows after 20 s, expected at least 1100"):
        wait_for_rows(lambda: 1000, 1100, 20, 5, clock, clock.sleep)
    assert clock.now == 20
    with pytest.raises(AirflowException, match="no answer from Cassandra after 20 s"):
        silent = Clock()
        wait_for_rows(lambda: None, 1100, 20, 5, silent, silent.sleep)
