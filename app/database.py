"""SQLite settings for the embedded default: real transactions, savepoints, foreign keys, WAL."""

import sqlite3

from sqlalchemy import Engine, event


def _on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN itself instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        # Web, worker and beat share the file: readers must not block the writer.
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")


def install() -> None:
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)


def outer_transaction_open(session) -> bool:
    """True inside after_commit of a savepoint: the real transaction has not committed yet."""
    transaction = session.get_transaction()
    return transaction is not None and transaction.is_active
