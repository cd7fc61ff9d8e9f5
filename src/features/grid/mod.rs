//! # Grid work: the daily log (民情工作日誌)
//!
//! "7月4日，發現8號樓樓梯口有一堆垃圾，已清理。" Sun Village is cut into grid cells, each with
//! one grid worker (一格一員) who walks it and wears six hats ([`rules::Hat`]). Every thing
//! found is an entry: the day, the cell, where (a building of the cell, a staircase, words),
//! which hat, what was found and what was done, photos, and whether it was closed on the
//! spot or needs follow-up. Entries are written offline and sync later; their photos' bytes
//! follow on their own (see `features::attachments`).
//!
//! **Who sees what.** An entry is its worker's, and is seen by the holders over its cell
//! (its grid worker: [`rules::cell_key`]), the president and vice president
//! ([`rules::office_key`]) and admins; nobody else, through the sync feed or the REST reads,
//! which decide with the same keys ([`sees`]).
//!
//! How the pieces fit: [`wire`] (the contract), [`logs`] (writing an entry), [`rules`] (hats,
//! statuses, keys, days, counts, as plain functions), [`entity`], [`http`] (a cell's or a
//! worker's month, with the home visits counted).

pub mod entity;
pub mod export;
pub mod http;
pub mod logs;
pub mod rules;
pub mod wire;

use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use crate::domain::permissions::{Actor, PositionKind, Role, Scope};
use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use wire::*;

/// Feed order within one version, after deliberation's.
pub mod rank {
    pub const LOG_ENTRY: u8 = 40;
}

/// The grid's synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![Box::new(Table::<entity::Entity, A>::new(
        "log_entry",
        rank::LOG_ENTRY,
        Audience::Personal {
            owner: "worker_id",
            over: &["cell_key", "office_key"],
        },
        Encode::Each(logs::change),
        |id| Change::LogEntry(LogEntryChange::gone(id)),
    ))]
}

/// The keys grid rows are seen over: a cell's for whoever holds a position over it, the
/// office's for the president and vice president.
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    actor.grants.iter().filter_map(|g| match (g.role, g.scope) {
        (Role::Holds(_), Scope::Unit(u)) => Some(rules::cell_key(u)),
        (
            Role::Holds(PositionKind::President | PositionKind::VicePresident),
            Scope::Community(c),
        ) => Some(rules::office_key(c)),
        _ => None,
    })
}

/// Whether the actor sees a log entry (the same answer as the sync feed's).
pub fn sees(actor: &Actor, e: &entity::Model) -> bool {
    e.community_id == actor.community_id
        && (e.worker_id == actor.resident_id
            || actor.is_admin_of(actor.community_id)
            || sees_over(actor).any(|k| k == e.cell_key || k == e.office_key))
}

handlers! {
    LogWriteMutation = "log.write" => logs::write;
}
