//! Sign-in state kept in the database so app servers stay stateless: browser sessions, API tokens
//! and the failure counts that throttle password guessing. Secrets are stored only as SHA-256 hashes.

use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::schema::{api_tokens, login_failures, sessions, users};
use crate::users::User;
use crate::{Conn, StoreResult};

/// A fresh random secret (256 bits, hex) and the hash under which it is stored.
pub fn new_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let plain = hex::encode(bytes);
    let hash = hash_secret(&plain);
    (plain, hash)
}

pub fn hash_secret(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.as_bytes()))
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// Lifetimes in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle_ms: i64,
    pub absolute_ms: i64,
}

pub fn create_session(
    conn: &mut Conn,
    user_id: i64,
    id_hash: &str,
    csrf: &str,
    now: i64,
    policy: SessionPolicy,
) -> StoreResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(id_hash),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(csrf),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + policy.absolute_ms),
        ))
        .execute(conn)?;
    Ok(())
}

/// The live session and its enabled user, refreshing the idle clock at most once a minute.
pub fn active_session(
    conn: &mut Conn,
    id_hash: &str,
    now: i64,
    policy: SessionPolicy,
) -> StoreResult<Option<(Session, User)>> {
    let found: Option<(Session, User)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::id_hash.eq(id_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(now - policy.idle_ms))
        .filter(users::disabled.eq(false))
        .select((Session::as_select(), User::as_select()))
        .first(conn)
        .optional()?;
    if let Some((session, _)) = &found
        && now - session.last_seen_at > 60_000
    {
        diesel::update(sessions::table.find(id_hash))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(found)
}

pub fn end_session(conn: &mut Conn, id_hash: &str) -> StoreResult<()> {
    diesel::delete(sessions::table.find(id_hash)).execute(conn)?;
    Ok(())
}

/// Drops expired sessions and tokens, and failures older than `keep_failures_ms`.
pub fn purge_expired(conn: &mut Conn, now: i64, keep_failures_ms: i64) -> StoreResult<usize> {
    let a = diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?;
    let b =
        diesel::delete(api_tokens::table.filter(api_tokens::expires_at.le(now))).execute(conn)?;
    let c =
        diesel::delete(login_failures::table.filter(login_failures::at.lt(now - keep_failures_ms)))
            .execute(conn)?;
    Ok(a + b + c)
}

pub fn create_token(
    conn: &mut Conn,
    user_id: i64,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(token_hash),
            api_tokens::user_id.eq(user_id),
            api_tokens::created_at.eq(now),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn token_user(conn: &mut Conn, token_hash: &str, now: i64) -> StoreResult<Option<User>> {
    Ok(api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::disabled.eq(false))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn record_failure(conn: &mut Conn, username: &str, address: &str, now: i64) -> StoreResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::username.eq(username),
            login_failures::address.eq(address),
            login_failures::at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Failures since `since` for this user name and for this address.
pub fn recent_failures(
    conn: &mut Conn,
    username: &str,
    address: &str,
    since: i64,
) -> StoreResult<(i64, i64)> {
    let by_user = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::at.ge(since))
        .count()
        .get_result(conn)?;
    let by_address = login_failures::table
        .filter(login_failures::address.eq(address))
        .filter(login_failures::at.ge(since))
        .count()
        .get_result(conn)?;
    Ok((by_user, by_address))
}

/// A successful sign-in forgives the user name's earlier failures.
pub fn clear_failures(conn: &mut Conn, username: &str) -> StoreResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::username.eq(username)))
        .execute(conn)?;
    Ok(())
}
