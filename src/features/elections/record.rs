//! Each election's record: its events (called, roll frozen, closed, each ballot's hash, the
//! tally), each carrying the hash of the one before (`rules::link`), the election row
//! keeping the head. A changed or missing event changes every hash after it, and the head
//! the community saw published, so `linli election verify` finds it.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entity::{election, election_event};
use super::rules;

/// Appends an event to `e`'s record and moves `e.chain_head` on (the caller saves `e`).
pub async fn append(
    conn: &impl ConnectionTrait,
    e: &mut election::Model,
    kind: &str,
    body: &serde_json::Value,
) -> Result<(), DbErr> {
    append_many(conn, e, [(kind, body.to_string())]).await
}

/// Appends events in order, in one insert per 500.
pub async fn append_many<'k>(
    conn: &impl ConnectionTrait,
    e: &mut election::Model,
    events: impl IntoIterator<Item = (&'k str, String)>,
) -> Result<(), DbErr> {
    let last: Option<i32> = election_event::Entity::find()
        .select_only()
        .column(election_event::Column::Seq)
        .filter(election_event::Column::ElectionId.eq(e.id))
        .order_by_desc(election_event::Column::Seq)
        .limit(1)
        .into_tuple::<i32>()
        .one(conn)
        .await?;
    let mut rows = Vec::new();
    for (seq, (kind, body)) in (last.unwrap_or(0) + 1..).zip(events) {
        let hash = rules::link(&e.chain_head, kind, &body);
        rows.push(
            election_event::Model {
                election_id: e.id,
                seq,
                kind: kind.to_owned(),
                body,
                hash: hash.clone(),
            }
            .into_active_model(),
        );
        e.chain_head = hash;
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(500).collect();
        election_event::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// The election's record, in order.
pub async fn events(
    conn: &impl ConnectionTrait,
    election: uuid::Uuid,
) -> Result<Vec<election_event::Model>, DbErr> {
    election_event::Entity::find()
        .filter(election_event::Column::ElectionId.eq(election))
        .order_by_asc(election_event::Column::Seq)
        .all(conn)
        .await
}
