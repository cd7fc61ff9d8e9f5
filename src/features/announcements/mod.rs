//! # Announcements (通知公告), with read receipts
//!
//! News must reach 20,000 people, many of them elderly and some without a phone. The
//! committee over a unit posts to it (a building leader to the building, an area leader to
//! the area, and so on up; the president and vice president to the whole community), and a
//! volunteer group's leaders to their group ([`board::post`]): a title, the text, photos,
//! pinned to the top of the board until a date, normal or urgent. Each phone says when its
//! resident has read one ([`board::read`]); the poster and the holders who keep the roll
//! see, for an urgent one, **who has not read it**, by name and flat: the residents on the
//! roll without a phone first among them, so a building leader knows whose door to knock on
//! ([`http`]). For a normal one they see only how many read it: a resident's reading habits
//! are nobody's business otherwise.
//!
//! **Who sees what.** An announcement carries its reach like deliberation's rows
//! (`deliberation::rules::Reach`): the unit's residents hold its room key, the holders over
//! it and above it their bench keys; a group's announcement is seen over the group's keys
//! ([`rules::group_room`], held by its members and leaders). A receipt is its reader's
//! alone (and admins'). The REST reads decide with the same keys ([`sees`]).
//!
//! How the pieces fit: [`wire`] (the contract), [`board`] (post, withdraw, read), [`rules`]
//! (limits, the board's order, who has not read, as plain functions), [`entity`], [`http`]
//! (the board, and an announcement's readers), [`export`] (what it holds about a resident).

pub mod board;
pub mod entity;
pub mod export;
pub mod http;
pub mod rules;
pub mod wire;

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait};
use uuid::Uuid;

use crate::domain::permissions::{Actor, Role, Scope, Target};
use crate::features::deliberation::{self, Reached, level_of};
use crate::features::schedule::entity::volunteer_group;
use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use entity::{announcement, announcement_read};
use wire::*;

/// Feed order within one version, after the reception days'.
pub mod rank {
    pub const ANNOUNCEMENT: u8 = 50;
    pub const RECEIPT: u8 = 51;
}

/// Announcements' synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<announcement::Entity, A>::new(
            "announcement",
            rank::ANNOUNCEMENT,
            Audience::Personal {
                owner: "author_id",
                over: &[
                    "room_id",
                    "bench_id",
                    "area_bench_id",
                    "compound_bench_id",
                    "desk_id",
                ],
            },
            Encode::Each(board::change),
            |id| Change::Announcement(AnnouncementChange::gone(id)),
        )),
        Box::new(Table::<announcement_read::Entity, A>::new(
            "announcement_read",
            rank::RECEIPT,
            Audience::Personal {
                owner: "resident_id",
                over: &[],
            },
            Encode::Each(board::receipt_change),
            |id| Change::AnnouncementRead(AnnouncementReadChange::gone(id)),
        )),
    ]
}

/// The keys announcements are seen over beside deliberation's (a unit's residents and
/// holders): a group's, held by its members and leaders.
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    actor
        .grants
        .iter()
        .flat_map(|g| match (g.role, g.scope) {
            (Role::Member, Scope::Group(id)) => [Some(rules::group_room(id)), None],
            (Role::Leader, Scope::Group(id)) => {
                [Some(rules::group_room(id)), Some(rules::group_bench(id))]
            }
            _ => [None, None],
        })
        .flatten()
}

/// Whether the actor sees an announcement: the same answer as the sync feed's.
pub fn sees(actor: &Actor, a: &announcement::Model) -> bool {
    if a.community_id != actor.community_id {
        return false;
    }
    if a.author_id == actor.resident_id || actor.is_admin_of(actor.community_id) {
        return true;
    }
    let keys: BTreeSet<Uuid> = deliberation::sees_over(actor)
        .chain(sees_over(actor))
        .collect();
    a.reach().seen_with(&keys)
}

impl Reached for announcement::Model {
    fn reach(&self) -> deliberation::rules::Reach {
        deliberation::rules::Reach {
            room_id: self.room_id,
            bench_id: self.bench_id,
            area_bench_id: self.area_bench_id,
            compound_bench_id: self.compound_bench_id,
            desk_id: self.desk_id,
        }
    }
}

/// Where an announcement was posted, as the permission rule sees it; `None` when its unit
/// or group is gone.
pub(crate) async fn target_of(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    a: &announcement::Model,
) -> Result<Option<Target>, DbErr> {
    if let Some(g) = a.group_id {
        return Ok(volunteer_group::Entity::find_by_id(g)
            .one(conn)
            .await?
            .filter(|x| x.community_id == actor.community_id && x.deleted_at.is_none())
            .map(|x| board::group_target(&x)));
    }
    Ok(level_of(conn, actor, a.unit_id).await?.map(|(_, t)| t))
}

handlers! {
    AnnouncementPostMutation = "announcement.post" => board::post;
    AnnouncementWithdrawMutation = "announcement.withdraw" => board::withdraw;
    AnnouncementReadMutation = "announcement.read" => board::read;
}
