//! # Schedule: volunteer groups, their sessions, sign-ups and service hours
//!
//! Sun Village's volunteer groups (calligraphy and painting, choir, fitness, dance, "elders
//! help elders", the Saturday legal corner) publish recurring sessions; residents sign up for
//! a seat from their phones, offline if need be, and leaders mark who came and for how long.
//!
//! How the pieces fit:
//! - [`wire`]: the mutations phones push and the changes they pull (the contract);
//! - [`groups`]: groups, memberships and series, applied inside the engine's transaction;
//! - [`seats`]: occurrences, overrides, sign-ups (reservations with a FIFO waitlist) and
//!   attendance;
//! - [`changes`]: rows as the changes phones receive;
//! - [`rules`], as plain functions: field limits, occurrences of a series and their ids,
//!   seats, waitlists and cut-offs;
//! - [`entity`]: its tables (the schema is in `migrations/`);
//! - [`http`]: REST reads for screens without a replica, and [`calendar`] feeds;
//! - [`export`]: what it holds about a resident, for their data export; [`forget`]: what it
//!   lets go of when they delete their account.
//!
//! What it declares to the sync engine (this file): its synced tables with their audience,
//! a handler for each mutation, the roles its memberships give (a group's leaders and
//! members), and what a leader sees (the memberships, sign-ups and attendance of the groups
//! they lead).
//!
//! Visibility: groups, series, overrides and seat tallies are the community's notice board
//! (public); memberships, sign-ups and attendance say who belongs, comes and serves where, so
//! they are personal: the resident's own, their group leaders', and admins'. A sign-up's
//! phone number goes only to the group's leaders, who call volunteers.

pub mod calendar;
pub mod changes;
pub mod entity;
pub mod export;
pub mod forget;
pub mod groups;
pub mod http;
pub mod rules;
pub mod seats;
pub mod wire;

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::permissions::{Actor, Grant, Role, Scope};
use crate::entity::resident;
use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use crate::sync::scope::SyncScope;
use crate::sync::viewers::Viewer;
use entity::{
    attendance, membership, occurrence_override, occurrence_tally, series, signup, volunteer_group,
};
use rules::signup::Status;
use wire::*;

/// Feed order within one version: a group before its memberships and series, a series
/// before its occurrences' overrides, tallies and sign-ups.
pub mod rank {
    pub const GROUP: u8 = 0;
    pub const MEMBERSHIP: u8 = 1;
    pub const SERIES: u8 = 2;
    pub const OVERRIDE: u8 = 3;
    pub const TALLY: u8 = 4;
    pub const SIGNUP: u8 = 5;
    pub const ATTENDANCE: u8 = 6;
}

// Overrides, tallies, sign-ups and attendance belong to one occurrence: phones hold them
// only inside the sync horizon (8 weeks back, 12 ahead by default), the rest is read over
// REST (`GET /api/v1/occurrences`).

/// Personal rows belong to a resident and are seen over their group.
const BY_GROUP: Audience = Audience::Personal {
    owner: "resident_id",
    over: &["group_id"],
};

/// The schedule's synced tables, for an app whose changes are linli's.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<volunteer_group::Entity, A>::new(
            "group",
            rank::GROUP,
            Audience::Public,
            Encode::Each(changes::group),
            |id| Change::Group(GroupChange::gone(id)),
        )),
        Box::new(Table::<membership::Entity, A>::new(
            "membership",
            rank::MEMBERSHIP,
            BY_GROUP,
            Encode::Batch(encode_memberships),
            |id| Change::Membership(MembershipChange::gone(id)),
        )),
        Box::new(Table::<series::Entity, A>::new(
            "series",
            rank::SERIES,
            Audience::Public,
            Encode::Each(changes::series),
            |id| Change::Series(SeriesChange::gone(id)),
        )),
        Box::new(
            Table::<occurrence_override::Entity, A>::new(
                "occurrence_override",
                rank::OVERRIDE,
                Audience::Public,
                Encode::Each(changes::occurrence_override),
                |id| Change::OccurrenceOverride(OccurrenceOverrideChange::gone(id)),
            )
            .within_horizon("original_start"),
        ),
        Box::new(
            Table::<occurrence_tally::Entity, A>::new(
                "occurrence_tally",
                rank::TALLY,
                Audience::Public,
                Encode::Each(changes::tally),
                |id| Change::OccurrenceTally(OccurrenceTallyChange::gone(id)),
            )
            .within_horizon("original_start"),
        ),
        Box::new(
            Table::<signup::Entity, A>::new(
                "signup",
                rank::SIGNUP,
                BY_GROUP,
                Encode::Batch(encode_signups),
                |id| Change::Signup(SignupChange::gone(id)),
            )
            .within_horizon("original_start"),
        ),
        Box::new(
            Table::<attendance::Entity, A>::new(
                "attendance",
                rank::ATTENDANCE,
                BY_GROUP,
                Encode::Each(changes::attendance),
                |id| Change::Attendance(AttendanceChange::gone(id)),
            )
            .within_horizon("original_start"),
        ),
    ]
}

/// The roles memberships give: leader or member of a group.
pub async fn grants_of(conn: &impl ConnectionTrait, resident: Uuid) -> Result<Vec<Grant>, DbErr> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::ResidentId.eq(resident))
        .filter(membership::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    Ok(memberships
        .into_iter()
        .filter_map(|m| {
            Some(Grant {
                role: crate::domain::permissions::Role::parse(&m.role)?,
                scope: Scope::Group(m.group_id),
            })
        })
        .collect())
}

/// A group's leaders see its personal rows.
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    actor.grants.iter().filter_map(|g| match (g.role, g.scope) {
        (Role::Leader, Scope::Group(id)) => Some(id),
        _ => None,
    })
}

/// The deterministic id of `resident`'s membership in `group`: two phones of one resident
/// joining offline name the same membership, so they make one.
pub fn membership_id(group: Uuid, resident: Uuid) -> Uuid {
    Uuid::new_v5(&group, resident.as_bytes())
}

handlers! {
    GroupCreateMutation = "group.create" => groups::group_create;
    GroupUpdateMutation = "group.update" => groups::group_update;
    GroupDeleteMutation = "group.delete" => groups::group_delete, changes_roles;
    GroupJoinMutation = "group.join" => groups::group_join, changes_roles;
    GroupLeaveMutation = "group.leave" => groups::group_leave, changes_roles;
    MemberSetRoleMutation = "member.set_role" => groups::member_set_role, changes_roles;
    SeriesCreateMutation = "series.create" => groups::series_create;
    SeriesUpdateMutation = "series.update" => groups::series_update;
    SeriesDeleteMutation = "series.delete" => groups::series_delete;
    OccurrenceOverrideMutation = "occurrence.override" => seats::override_occurrence;
    OccurrenceClearOverrideMutation = "occurrence.clear_override" => seats::clear_override;
    SignupRequestMutation = "signup.request" => seats::request;
    SignupCancelMutation = "signup.cancel" => seats::cancel;
    AttendanceMarkMutation = "attendance.mark" => seats::mark_attendance;
}

/// Names (and phone numbers) of the people rows name, read at once; the viewer's own are
/// at hand.
struct People<'a> {
    viewer: &'a Viewer,
    others: HashMap<Uuid, resident::Model>,
}

impl<'a> People<'a> {
    async fn of(
        conn: &impl ConnectionTrait,
        viewer: &'a Viewer,
        ids: impl Iterator<Item = Uuid>,
    ) -> Result<Self, DbErr> {
        let others = ids.filter(|id| *id != viewer.actor.resident_id);
        Ok(Self {
            viewer,
            others: residents(conn, others).await?,
        })
    }

    /// (name, phone)
    fn get(&self, id: Uuid) -> Option<(&str, &str)> {
        if id == self.viewer.actor.resident_id {
            Some((&self.viewer.display_name, &self.viewer.phone))
        } else {
            self.others
                .get(&id)
                .map(|p| (p.display_name.as_str(), p.phone.as_str()))
        }
    }

    fn name(&self, id: Uuid) -> &str {
        self.get(id).map(|(name, _)| name).unwrap_or_default()
    }
}

fn encode_memberships<'a>(
    txn: &'a DatabaseTransaction,
    viewer: &'a Viewer,
    _scope: &'a SyncScope,
    rows: Vec<membership::Model>,
) -> BoxFuture<'a, Result<Vec<Change>, DbErr>> {
    Box::pin(async move {
        let people = People::of(txn, viewer, rows.iter().map(|m| m.resident_id)).await?;
        Ok(rows
            .iter()
            .map(|m| changes::membership(m, people.name(m.resident_id)))
            .collect())
    })
}

fn encode_signups<'a>(
    txn: &'a DatabaseTransaction,
    viewer: &'a Viewer,
    scope: &'a SyncScope,
    rows: Vec<signup::Model>,
) -> BoxFuture<'a, Result<Vec<Change>, DbErr>> {
    Box::pin(async move {
        let people = People::of(txn, viewer, rows.iter().map(|s| s.resident_id)).await?;
        let positions = waitlist_positions(
            txn,
            rows.iter()
                .filter(|s| s.status == Status::Waitlisted.as_str())
                .map(|s| s.occurrence_id),
        )
        .await?;
        Ok(rows
            .iter()
            .map(|s| {
                // Phone numbers are for the group's leaders, who call volunteers.
                let phone = scope
                    .over
                    .contains(&s.group_id)
                    .then(|| people.get(s.resident_id).map(|(_, phone)| phone))
                    .flatten();
                changes::signup(
                    s,
                    positions.get(&s.id).copied(),
                    people.name(s.resident_id),
                    phone,
                )
            })
            .collect())
    })
}

/// Waitlist positions of every waitlisted sign-up in `occurrences`.
pub(crate) async fn waitlist_positions(
    conn: &impl ConnectionTrait,
    occurrences: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, u32>, DbErr> {
    let mut ids: Vec<Uuid> = occurrences.collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let waiting = signup::Entity::find()
        .filter(signup::Column::OccurrenceId.is_in(ids))
        .filter(signup::Column::Status.eq(Status::Waitlisted.as_str()))
        .order_by_asc(signup::Column::RequestedVersion)
        .all(conn)
        .await?;
    let mut next: HashMap<Uuid, u32> = HashMap::new();
    Ok(waiting
        .into_iter()
        .map(|s| {
            let p = next.entry(s.occurrence_id).or_insert(0);
            *p += 1;
            (s.id, *p)
        })
        .collect())
}

async fn residents(
    conn: &impl ConnectionTrait,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, resident::Model>, DbErr> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(resident::Entity::find()
        .filter(resident::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_ids_are_deterministic_and_distinct() {
        let (g, r) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(membership_id(g, r), membership_id(g, r));
        assert_ne!(membership_id(g, r), membership_id(r, g));
    }
}
