"""The job's environment comes from spark-job.environment.json (contracts/interfaces.ts): names,
defaults and required-ness for config.py and submit.sh, the file shipped next to the package."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SPARK_DIR

from users_stream.config import (
    ENVIRONMENT_FILE,
    ConfigError,
    environment_path,
    job_variables,
    load_config,
    shell_assignments,
)

BASE = {
    "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
    "KAFKA_SASL_USERNAME": "streaming-job",
    "KAFKA_SASL_PASSWORD": "pw",
    "CASSANDRA_HOSTS": "cassandra-0",
    "CHECKPOINT_DIR": "/checkpoints/users",
}
SUBMIT = SPARK_DIR / "submit.sh"


class RecordingEnvironment(dict[str, str]):
    """An environment that remembers every name asked of it."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def submit_names() -> list[str]:
    """The variables submit.sh asks users_stream.config for."""
    text = SUBMIT.read_text(encoding="utf-8")
    match = re.search(r"python3 -m users_stream\.config \\\n\s+([A-Z_ \\\n]+)\)", text)
    assert match, "submit.sh no longer asks users_stream.config for its variables"
    return match[1].replace("\\", " ").split()


def test_in_the_repository_the_json_is_the_generated_one_in_contracts() -> None:
    assert environment_path() == REPO / "contracts" / ENVIRONMENT_FILE


def test_every_described_variable_is_read_by_the_job_or_submit_sh() -> None:
    env = RecordingEnvironment({**BASE, "CASSANDRA_USERNAME": "app", "CASSANDRA_PASSWORD": "pw"})
    load_config(env)
    variables = job_variables()
    job = {name for name in variables if name in env.asked}
    assert job | set(submit_names()) == set(variables)
    assert env.asked <= set(variables), "config.py reads a variable contracts/interfaces.ts does not describe"


def test_defaults_and_required_come_from_the_json() -> None:
    variables = dict(job_variables())
    variables["KAFKA_TOPIC"] = replace(variables["KAFKA_TOPIC"], default="people")
    variables["MAX_RECORD_BYTES"] = replace(variables["MAX_RECORD_BYTES"], default=1024)
    variables["CHECKPOINT_DIR"] = replace(variables["CHECKPOINT_DIR"], required=False, default="/tmp/c")
    variables["CASSANDRA_LOCAL_DC"] = replace(variables["CASSANDRA_LOCAL_DC"], required=True, default=None)
    env = {key: value for key, value in BASE.items() if key != "CHECKPOINT_DIR"}
    with pytest.raises(ConfigError, match="missing required environment variable CASSANDRA_LOCAL_DC"):
        load_config(env, variables)
    config = load_config({**env, "CASSANDRA_LOCAL_DC": "dc2"}, variables)
    assert (config.topic, config.dlq_topic) == ("people", "people.dlq")
    assert (config.max_record_bytes, config.checkpoint_dir) == (1024, "/tmp/c")


def test_the_loaded_defaults_are_those_of_the_json() -> None:
    variables = job_variables()
    config = load_config(BASE)
    read = {
        "KAFKA_SECURITY_PROTOCOL": config.kafka_security_protocol,
        "KAFKA_GROUP_ID_PREFIX": config.kafka_group_id_prefix,
        "KAFKA_TOPIC": config.topic,
        "STARTING_OFFSETS": config.starting_offsets,
        "MAX_OFFSETS_PER_TRIGGER": config.max_offsets_per_trigger,
        "RECORD_FORMAT": config.record_format,
        "MAX_RECORD_BYTES": config.max_record_bytes,
        "TRIGGER_INTERVAL": config.trigger_interval,
        "BATCH_RETRY_SECONDS": config.batch_retry_seconds,
        "BATCH_ATTEMPT_TIMEOUT_SECONDS": config.batch_attempt_timeout_seconds,
        "CASSANDRA_PORT": config.cassandra.port,
        "CASSANDRA_KEYSPACE": config.cassandra.keyspace,
        "CASSANDRA_TABLE": config.cassandra.table,
        "CASSANDRA_LOCAL_DC": config.cassandra.local_dc,
        "CASSANDRA_CONCURRENT_WRITES": config.cassandra.concurrent_writes,
        "CASSANDRA_BATCH_SIZE_ROWS": config.cassandra.batch_size_rows,
        "CASSANDRA_BATCH_GROUPING_KEY": config.cassandra.batch_grouping_key,
    }
    assert read == {name: variables[name].default for name in read}
    assert config.dlq_topic == f"{config.topic}.dlq"
    assert config.min_partitions is None


def test_shell_assignments_apply_defaults_and_references() -> None:
    env = {"SPARK_MASTER_URL": "spark://m:7077", "SPARK_DRIVER_HOST": "d", "SPARK_EXECUTOR_CORES": "3"}
    assert shell_assignments(submit_names(), env).splitlines() == [
        "SPARK_MASTER_URL=spark://m:7077",
        "SPARK_DRIVER_HOST=d",
        "KAFKA_TOPIC=users_created",
        "SPARK_EXECUTOR_CORES=3",
        "SPARK_EXECUTOR_MEMORY=1g",
        "SPARK_CORES_MAX=3",
        "SPARK_JVM_OPTIONS=-XX:+UseParallelGC",
    ]
    assert shell_assignments(["KAFKA_TOPIC"], {"KAFKA_TOPIC": "it's"}) == "KAFKA_TOPIC='it'\"'\"'s'"


def run_submit(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """submit.sh from the repository with a spark-submit that prints its arguments, one a line."""
    spark_home = tmp_path / "spark"
    (spark_home / "bin").mkdir(parents=True, exist_ok=True)
    fake = spark_home / "bin" / "spark-submit"
    fake.write_text('#!/bin/sh\nfor argument in "$@"; do echo "$argument"; done\n', encoding="utf-8")
    fake.chmod(0o755)
    python_bin = Path(sys.executable).parent
    return subprocess.run(
        ["bash", str(SUBMIT)],
        env={"PATH": f"{python_bin}:/usr/bin:/bin", "SPARK_HOME": str(spark_home), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_submit_sh_passes_the_defaults_of_the_json(tmp_path: Path) -> None:
    result = run_submit(tmp_path, {"SPARK_MASTER_URL": "spark://master:7077", "SPARK_DRIVER_HOST": "job-0"})
    assert result.returncode == 0, result.stderr
    arguments = result.stdout.splitlines()
    assert arguments[:2] == ["--master", "spark://master:7077"]
    assert "users-stream-users_created" in arguments
    for conf in ["spark.driver.host=job-0", "spark.executor.cores=1", "spark.executor.memory=1g"]:
        assert conf in arguments
    assert "spark.cores.max=1" in arguments
    for side in ["driver", "executor"]:
        assert f"spark.{side}.extraJavaOptions=-XX:+UseParallelGC" in arguments


def test_submit_sh_passes_jvm_options_with_spaces_as_one_argument(tmp_path: Path) -> None:
    options = "-XX:+UseG1GC -XX:MaxGCPauseMillis=100"
    env = {
        "SPARK_MASTER_URL": "spark://master:7077",
        "SPARK_DRIVER_HOST": "job-0",
        "SPARK_JVM_OPTIONS": options,
    }
    result = run_submit(tmp_path, env)
    assert result.returncode == 0, result.stderr
    arguments = result.stdout.splitlines()
    assert f"spark.driver.extraJavaOptions={options}" in arguments
    assert f"spark.executor.extraJavaOptions={options}" in arguments
    assert arguments[-1] == str(SPARK_DIR / "main.py")


def test_submit_sh_exits_2_with_one_line_on_a_missing_or_bad_variable(tmp_path: Path) -> None:
    missing = run_submit(tmp_path, {"SPARK_MASTER_URL": "spark://master:7077"})
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [
        "users-stream: missing required environment variable SPARK_DRIVER_HOST "
        f"({job_variables()['SPARK_DRIVER_HOST'].doc})"
    ]
    env = {"SPARK_MASTER_URL": "m", "SPARK_DRIVER_HOST": "d", "SPARK_EXECUTOR_CORES": "0"}
    bad = run_submit(tmp_path, env)
    assert (bad.returncode, bad.stderr.strip()) == (
        2,
        "users-stream: environment variable SPARK_EXECUTOR_CORES must be >= 1, got 0",
    )


def test_the_image_ships_the_json_next_to_the_package(tmp_path: Path) -> None:
    dockerfile = (SPARK_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert f"COPY contracts/{ENVIRONMENT_FILE} /opt/app/users_stream/{ENVIRONMENT_FILE}" in dockerfile
    ignore = (SPARK_DIR / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert f"!contracts/{ENVIRONMENT_FILE}" in ignore
    # The image's layout: /opt/app/users_stream/ with the JSON beside the modules, no contracts/.
    app = tmp_path / "opt" / "app"
    shutil.copytree(SPARK_DIR / "users_stream", app / "users_stream")
    shutil.copy(REPO / "contracts" / ENVIRONMENT_FILE, app / "users_stream" / ENVIRONMENT_FILE)
    found = subprocess.run(
        [sys.executable, "-c", "from users_stream.config import environment_path; print(environment_path())"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(app)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert found.stdout.strip() == str(app / "users_stream" / ENVIRONMENT_FILE)
