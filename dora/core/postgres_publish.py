"""Publish a PostgreSQL warehouse's marts: copy what dbt built into new schemas, then swap them in.

dbt builds the marts in `marts_build`, where no reader looks. Publishing copies them, with
meta.source_freshness, into new schemas and renames those to `marts` and `meta` in the same
transaction that renames the previous ones away. Why a swap of schemas, not the alternatives:
- Renaming a schema takes no lock on its tables, so it never waits for a BI query, however long,
  and a reader's next statement sees every mart of the new build together. dbt's own per-table
  swap (and replacing views over a build) takes an exclusive lock on each table or view: it waits
  for every running query on it and queues new ones behind it, and between two tables a reader
  sees one mart of the new build beside another of the old.
- Readers never see a half-built table: until the one commit, nothing of the new build is
  visible; a publish killed before it leaves nothing behind (the transaction is rolled back).
The replaced schemas are dropped right after, unless a reader still has them open: then the drop
gives up after a second (a query in flight holds its tables) and the next publish tries again.
Grants on `marts` and `meta` and their tables (a read-only role for BI tools, README.md) are
carried over to the new schemas.

`history` is not copied: dbt merges new rows into it in one transaction per model, which readers
neither block nor see half done.
"""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import datetime, timezone

import psycopg2.errors

from dora.core.postgres import BUILD_SCHEMA, PostgresWarehouse
from dora.core.publish import RAW_TABLES_SQL, VERSION_FORMAT

log = logging.getLogger(__name__)

RETIRED = "__retired_"  # `marts__retired_<version>`: a replaced schema waiting to be dropped
NEW = "__new"


def publish(warehouse: PostgresWarehouse) -> dict[str, int]:
    """Copy the built marts and the sources' freshness, swap them in; row counts by `schema.table`."""
    version = datetime.now(timezone.utc).strftime(VERSION_FORMAT)
    with closing(warehouse.connect()) as connection, connection.cursor() as cursor:
        counts = {}
        cursor.execute(f"create schema marts{NEW}")
        cursor.execute("select table_name from information_schema.tables where table_schema = %s "
                       "and table_type = 'BASE TABLE' order by 1", [BUILD_SCHEMA])
        for (table,) in cursor.fetchall():
            cursor.execute(f'create table marts{NEW}."{table}" as select * from {BUILD_SCHEMA}."{table}"')
            counts[f"marts.{table}"] = cursor.rowcount
        cursor.execute(f"create schema meta{NEW}")
        counts["meta.source_freshness"] = _write_source_freshness(cursor, f"meta{NEW}")
        for schema in ("marts", "meta"):
            _copy_grants(cursor, schema, f"{schema}{NEW}")
            if _exists(cursor, schema):
                cursor.execute(f"alter schema {schema} rename to {schema}{RETIRED}{version}")
            cursor.execute(f"alter schema {schema}{NEW} rename to {schema}")
            cursor.execute("select table_name from information_schema.tables where table_schema = %s", [schema])
            for (table,) in cursor.fetchall():
                cursor.execute(f'analyze {schema}."{table}"')
        connection.commit()
    _drop_retired(warehouse)
    return counts


def _exists(cursor, schema: str) -> bool:
    cursor.execute("select count(*) from pg_namespace where nspname = %s", [schema])
    return cursor.fetchone()[0] > 0


def _write_source_freshness(cursor, schema: str) -> int:
    """source_freshness: when each raw table last received a load, and its row count."""
    cursor.execute(f"create table {schema}.source_freshness ("
                   "source text, resource text, last_loaded_at timestamptz, row_count bigint)")
    cursor.execute(RAW_TABLES_SQL)
    raw_tables = cursor.fetchall()
    for dataset, table in raw_tables:
        cursor.execute(
            f"""insert into {schema}.source_freshness
            select %s, %s, (select max(inserted_at) from "{dataset}"._dlt_loads where status = 0), count(*)
            from "{dataset}"."{table}" """,
            [dataset.removeprefix("raw_"), table])
    return len(raw_tables)


def _copy_grants(cursor, old: str, new: str) -> None:
    """Grant on `new` and its tables what `old` and its tables granted (to roles other than the owner)."""
    if not _exists(cursor, old):
        return
    grantee = "case acl.grantee when 0 then 'public' else acl.grantee::regrole::text end"
    cursor.execute(f"""select acl.privilege_type, {grantee} from pg_namespace as schema, aclexplode(schema.nspacl) as acl
                       where schema.nspname = %s and acl.grantee <> schema.nspowner""", [old])
    for privilege, role in cursor.fetchall():
        cursor.execute(f"grant {privilege} on schema {new} to {role}")
    cursor.execute(f"""select distinct acl.privilege_type, {grantee}
                       from pg_class as relation join pg_namespace as schema on schema.oid = relation.relnamespace,
                            aclexplode(relation.relacl) as acl
                       where schema.nspname = %s and relation.relkind = 'r' and acl.grantee <> relation.relowner""",
                   [old])
    for privilege, role in cursor.fetchall():
        cursor.execute(f"grant {privilege} on all tables in schema {new} to {role}")


def _drop_retired(warehouse: PostgresWarehouse) -> None:
    """Drop the replaced schemas no reader holds; views of other schemas over them go with them
    (a view binds to the tables it was created over), each named in a warning."""
    with closing(warehouse.connect(autocommit=True, lock_timeout="1s")) as connection, connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname like %s or nspname like %s order by 1",
                       [f"marts{RETIRED}%", f"meta{RETIRED}%"])
        for (schema,) in cursor.fetchall():
            try:
                cursor.execute(f'drop schema "{schema}" cascade')
            except psycopg2.errors.LockNotAvailable as error:  # a reader holds it: the next publish tries again
                log.info("Kept %s for now, a reader still uses it (%s)", schema, str(error).strip())
        for notice in connection.notices:
            if "view" in notice:
                log.warning("Dropped with a replaced version of the marts: %s", notice.strip())
