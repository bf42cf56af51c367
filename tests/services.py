"""The servers a test run talks to, made its own so that two runs on one machine never touch
each other's data: a PostgreSQL database created for the run (and dropped after it) on the
server the tests are pointed at, and redis-server processes started on a free port."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time

import sqlalchemy as sa


def private_database_name() -> str:
    """A database name no other run picks: this process's id and a random part."""
    return f"wsqb_test_{os.getpid()}_{secrets.token_hex(4)}"


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``server_url``; the URL that reaches it."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses transactions
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name``, first ending the sessions still in it (a pool a failed test left
    open, a worker that was killed): PostgreSQL refuses to drop a database in use."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


def free_port() -> int:
    """A TCP port nothing listens on right now, for a server of our own."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port, without persistence: stopping it loses
    everything in it, which is what the tests that take Redis away want."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it and wait until it answers as itself: another server that took the port
        meanwhile must not be mistaken for ours."""
        from redis import Redis
        from redis.exceptions import ConnectionError as RedisConnectionError

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        connection = Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"redis-server on port {self.port} exited ({self.process.returncode})")
                try:
                    if connection.info("server")["process_id"] == self.process.pid:
                        return
                except RedisConnectionError:
                    pass
                time.sleep(0.05)
        finally:
            connection.close()
        self.stop()
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
