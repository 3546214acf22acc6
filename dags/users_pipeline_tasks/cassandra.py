"""The users table in Cassandra: a session from the ``cassandra_default`` connection and the row count.

Counting: the verify step compares the number of rows after the producer ran with the number
before it (step 1). It counts by reading every ``id`` with driver-side paging (``fetch_size``
rows per request, each request with its own timeout) instead of ``SELECT COUNT(*)``: an aggregate
is one request that the coordinator must finish within one timeout, which a growing table
eventually exceeds, while a paged read of the partition keys only grows in the number of pages.
The id is the primary key, so a re-sent record (same id) is an upsert and is counted once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.policies import DCAwareRoundRobinPolicy, RoundRobinPolicy
from cassandra.query import SimpleStatement

PAGE_SIZE = 5000
REQUEST_TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
DEFAULT_PORT = 9042


@dataclass(frozen=True)
class CassandraTarget:
    """Where the users table is and how to log in (from the connection and the variables)."""

    hosts: Sequence[str]
    port: int
    username: str | None
    password: str | None
    local_dc: str | None
    keyspace: str
    table: str

    @property
    def qualified_table(self) -> str:
        return f"{self.keyspace}.{self.table}"


def split_hosts(host_field: str | None) -> list[str]:
    """``"h1, h2"`` -> ``["h1", "h2"]`` (the connection's host field holds every contact point)."""
    return [host.strip() for host in (host_field or "").split(",") if host.strip()]


@contextmanager
def open_session(target: CassandraTarget) -> Iterator[Session]:
    """A session on ``target``'s cluster, shut down on exit."""
    policy = DCAwareRoundRobinPolicy(target.local_dc) if target.local_dc else RoundRobinPolicy()
    profile = ExecutionProfile(load_balancing_policy=policy, request_timeout=REQUEST_TIMEOUT_SECONDS)
    auth = (
        PlainTextAuthProvider(username=target.username, password=target.password or "")
        if target.username
        else None
    )
    cluster = Cluster(
        contact_points=list(target.hosts),
        port=target.port,
        auth_provider=auth,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
    )
    try:
        yield cluster.connect()
    finally:
        cluster.shutdown()


def count_rows(session: Session, target: CassandraTarget) -> int:
    """Number of rows of the users table: every ``id``, read page by page."""
    statement = SimpleStatement(f"SELECT id FROM {target.qualified_table}", fetch_size=PAGE_SIZE)
    return sum(1 for _ in session.execute(statement))


def table_exists(session: Session, target: CassandraTarget) -> bool:
    """True when the keyspace holds the table (read from the schema tables)."""
    rows = session.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s AND table_name = %s",
        (target.keyspace, target.table),
    )
    return rows.one() is not None
