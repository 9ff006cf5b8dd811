//! SQLite alone writing what an import wrote: the children and revisions an import has just
//! filed, copied by `INSERT … SELECT` into another database in one transaction, on a connection
//! set up as an import's is (the bundled library, WAL, the bulk page cache, foreign keys off).
//! Nothing is read from a sheet, parsed, sealed or matched, so this is the least any import of
//! those rows can take on this machine: the ground the xlsx target stands on.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn number(conn: &mut SqliteConnection, sql: &str) -> anyhow::Result<i64> {
    let row: Number = diesel::sql_query(sql).get_result(conn)?;
    Ok(row.n)
}

fn texts(conn: &mut SqliteConnection, sql: &str) -> anyhow::Result<Vec<String>> {
    let rows: Vec<Name> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    let path = path.to_str().context("a database path that is not UTF-8")?;
    Ok(shouhu_store::sqlite_bulk_connection(path)?)
}

/// Copies every child and revision of the database file `from` into the one at `into` (created
/// with the same two tables and their indexes when it has none), under new ids above those it
/// holds and with each ID hash's halves swapped, so the copies are new files to every unique
/// index yet land at random places in it, as new children do. Times opening, the transaction
/// and closing (SQLite checkpoints the WAL at both ends, as after an import); checks the counts.
pub(super) fn copy_children(into: &Path, from: &Path) -> anyhow::Result<Duration> {
    let source = from.to_str().context("a database path that is not UTF-8")?;
    let attach = format!("ATTACH '{}' AS src;", source.replace('\'', "''"));
    let (columns, ids, revision_ids, before, adding) = {
        let mut conn = open(into)?;
        conn.batch_execute(&attach)?;
        if number(
            &mut conn,
            "SELECT count(*) AS n FROM sqlite_master WHERE name = 'children'",
        )? == 0
        {
            let schema = texts(
                &mut conn,
                "SELECT sql AS name FROM src.sqlite_master \
                 WHERE tbl_name IN ('children', 'child_revisions') AND sql IS NOT NULL \
                 ORDER BY rowid",
            )?;
            conn.batch_execute(&schema.join(";\n"))?;
        }
        let columns = texts(
            &mut conn,
            "SELECT name FROM pragma_table_info('children') ORDER BY cid",
        )?;
        (
            columns,
            number(&mut conn, "SELECT coalesce(max(id), 0) AS n FROM children")?,
            number(
                &mut conn,
                "SELECT coalesce(max(id), 0) AS n FROM child_revisions",
            )?,
            number(&mut conn, "SELECT count(*) AS n FROM children")?,
            number(&mut conn, "SELECT count(*) AS n FROM src.children")?,
        )
    };
    let selected: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "id" => format!("id + {ids}"),
            "id_hash" => "substr(id_hash, 33) || substr(id_hash, 1, 32)".to_owned(),
            other => other.to_owned(),
        })
        .collect();
    let sql = format!(
        "{attach}
         BEGIN;
         INSERT INTO children ({}) SELECT {} FROM src.children ORDER BY id;
         INSERT INTO child_revisions (id, child_id, at, actor_id, actor_name, version, changes)
             SELECT id + {revision_ids}, child_id + {ids}, at, actor_id, actor_name, version,
                    changes
             FROM src.child_revisions ORDER BY id;
         COMMIT;",
        columns.join(", "),
        selected.join(", ")
    );
    let started = Instant::now();
    let mut conn = open(into)?;
    conn.batch_execute(&sql)?;
    drop(conn);
    let elapsed = started.elapsed();
    let after = number(&mut open(into)?, "SELECT count(*) AS n FROM children")?;
    if after != before + adding {
        bail!("the copy left {after} children, not {before} + {adding}");
    }
    Ok(elapsed)
}
