//! Reads of announcements: the board (what the caller sees, pinned first, then the newest),
//! and an announcement's readers: how many of its audience read it, building by building,
//! and, for an urgent one, who has not, by name and flat.
//!
//! The readers' list is bounded by the roll the caller keeps: its author, admins and the
//! president see the whole audience; a building leader, area leader, branch president or
//! grid worker sees the part of it living where they hold their position (the building
//! leader of 1號樓 sees 1號樓's residents of a community-wide notice, and knocks on those
//! doors); a group's leaders see their group. Anyone else is refused.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Utc;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::entity::{announcement, announcement_read};
use super::rules::{self, Importance};
use super::wire::AnnouncementData;
use super::{board, sees, sees_over, target_of};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::{Action, Actor, Target, Verdict, decide};
use crate::domain::territory::UnitKind;
use crate::features::Change;
use crate::features::deliberation;
use crate::features::schedule::entity::membership;
use crate::features::territory::entity::{household, residency, unit};
use crate::features::territory::place_of_residency;
use crate::web::Core;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

#[derive(Tags)]
pub enum AnnouncementTags {
    /// Announcements (通知公告) to a building, area, compound, the community or a group,
    /// and who has read them.
    Announcements,
}

pub struct AnnouncementsApi;

/// The caller's board.
#[derive(Debug, Object)]
pub struct AnnouncementBoard {
    /// Pinned first (while pinned), then the newest first.
    pub announcements: Vec<AnnouncementData>,
    /// Which of them the caller has read.
    pub read: Vec<Uuid>,
}

/// Who has read an announcement, within the part of its audience the caller keeps.
#[derive(Debug, Object)]
pub struct AnnouncementReaders {
    pub announcement_id: Uuid,
    pub importance: Importance,
    /// Residents it is for (verified residents of its unit, or the group's members) in the
    /// caller's part.
    pub audience: u32,
    pub read: u32,
    /// Those who have not read it: named only for an urgent announcement.
    pub unread_count: u32,
    /// Whether `unread` names them (urgent announcements only).
    pub names_shown: bool,
    /// For a unit's announcement: each building's count.
    pub buildings: Vec<BuildingReaders>,
    /// Who has not read it, by building, entrance, floor and room; those on the roll
    /// without a phone are among them. At most `limit`.
    pub unread: Vec<UnreadResident>,
}

#[derive(Debug, Object)]
pub struct BuildingReaders {
    pub building_id: Uuid,
    pub name: String,
    pub audience: u32,
    pub read: u32,
}

#[derive(Debug, Object)]
pub struct UnreadResident {
    /// The name on the roll (or the member's, for a group).
    pub name: String,
    /// Whether they have an account: without one, only a knock on the door reaches them.
    pub has_account: bool,
    #[oai(skip_serializing_if_is_none)]
    pub building_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub building_name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub entrance: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[oai(validator(minimum(value = "-5")))]
    pub floor: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub room: Option<String>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "AnnouncementTags::Announcements")]
impl AnnouncementsApi {
    /// The board
    ///
    /// The announcements the caller sees (to where they live, to their groups, to the
    /// whole community, what they posted, and, for holders, to the units they hold a
    /// position over): every one still pinned, then the newest `limit` (50 by default),
    /// optionally only one unit's (`unit_id`) or one group's (`group_id`); with which the
    /// caller has read.
    #[oai(
        path = "/announcements",
        method = "get",
        operation_id = "listAnnouncements"
    )]
    async fn board(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        /// Only this building's, area's or compound's.
        unit_id: Query<Option<Uuid>>,
        /// Only this group's.
        group_id: Query<Option<Uuid>>,
        /// At most this many beside the pinned ones (1 to 200).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<AnnouncementBoard>, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let now = Utc::now();
        let mut q = announcement::Entity::find()
            .filter(announcement::Column::CommunityId.eq(actor.community_id))
            .filter(announcement::Column::DeletedAt.is_null());
        if !actor.is_admin_of(actor.community_id) {
            q = q.filter(seen_by(&actor));
        }
        if let Some(u) = unit_id.0 {
            q = q.filter(announcement::Column::UnitId.eq(u));
        }
        if let Some(g) = group_id.0 {
            q = q.filter(announcement::Column::GroupId.eq(g));
        }
        let pinned = q
            .clone()
            .filter(announcement::Column::PinnedUntil.gt(now))
            .all(&state.db)
            .await?;
        let newest = q
            .order_by_desc(announcement::Column::CreatedAt)
            .order_by_desc(announcement::Column::Id)
            .limit(limit.0.unwrap_or(50))
            .all(&state.db)
            .await?;
        let mut rows: BTreeMap<Uuid, announcement::Model> = BTreeMap::new();
        for a in pinned.into_iter().chain(newest) {
            rows.insert(a.id, a);
        }
        let mut rows: Vec<announcement::Model> =
            rows.into_values().filter(|a| sees(&actor, a)).collect();
        rows.sort_by_key(|a| rules::board_key(a.pinned_until, a.created_at, a.id, now));
        let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
        let read = announcement_read::Entity::find()
            .filter(announcement_read::Column::ResidentId.eq(actor.resident_id))
            .filter(announcement_read::Column::AnnouncementId.is_in(ids))
            .filter(announcement_read::Column::DeletedAt.is_null())
            .all(&state.db)
            .await?
            .into_iter()
            .map(|r| r.announcement_id)
            .collect();
        Ok(Json(AnnouncementBoard {
            announcements: rows
                .iter()
                .filter_map(|a| match board::change(a) {
                    Change::Announcement(c) => c.data,
                    _ => None,
                })
                .collect(),
            read,
        }))
    }

    /// An announcement's readers
    ///
    /// How many of its audience read it, building by building, and for an urgent one who
    /// has not (by building, entrance, floor and room; at most `limit`, 500 by default),
    /// within the part of the audience the caller keeps the roll of (see the tag). Refused
    /// (`403 forbidden`) to anyone who keeps none of it.
    #[oai(
        path = "/announcements/:announcement_id/readers",
        method = "get",
        operation_id = "getAnnouncementReaders"
    )]
    async fn readers(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        announcement_id: Path<Uuid>,
        /// Only this building's residents.
        building_id: Query<Option<Uuid>>,
        /// At most this many unread named (1 to 5,000).
        #[oai(validator(minimum(value = "1"), maximum(value = "5000")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<AnnouncementReaders>, { SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let a = announcement::Entity::find_by_id(announcement_id.0)
            .one(&state.db)
            .await?
            .filter(|a| a.deleted_at.is_none() && a.community_id == actor.community_id)
            .ok_or(ApiError::NotFound("announcement"))?;
        // Seen through the feed, or (a grid worker, for a building's notice) through the
        // roll one keeps of part of its audience.
        let visible = sees(&actor, &a);
        let importance = Importance::parse(&a.importance).unwrap_or(Importance::Normal);
        let whole = visible
            && (a.author_id == actor.resident_id
                || match target_of(&state.db, &actor, &a).await? {
                    Some(t) => whole_audience(&actor, t),
                    None => actor.is_admin_of(actor.community_id),
                });
        let audience = match a.group_id {
            Some(g) if whole => group_audience(&state.db, g).await?,
            Some(_) => Vec::new(),
            None => unit_audience(&state.db, &actor, &a, building_id.0, whole).await?,
        };
        // The receipts of this audience: for a building's few hundred, theirs alone; for a
        // larger one, every receipt of the announcement in one read.
        let mut q = announcement_read::Entity::find()
            .filter(announcement_read::Column::AnnouncementId.eq(a.id))
            .filter(announcement_read::Column::DeletedAt.is_null());
        if audience.len() <= 500 {
            q = q.filter(
                announcement_read::Column::ResidentId.is_in(
                    audience
                        .iter()
                        .filter_map(|m| m.account)
                        .collect::<Vec<_>>(),
                ),
            );
        }
        let receipts: BTreeSet<Uuid> = q
            .all(&state.db)
            .await?
            .into_iter()
            .map(|r| r.resident_id)
            .collect();
        if audience.is_empty() && !whole {
            return Err(if visible {
                ApiError::Forbidden
            } else {
                ApiError::NotFound("announcement")
            }
            .into());
        }
        let mut buildings: BTreeMap<Uuid, BuildingReaders> = BTreeMap::new();
        for m in &audience {
            if let Some((id, name)) = &m.building {
                let b = buildings.entry(*id).or_insert_with(|| BuildingReaders {
                    building_id: *id,
                    name: name.clone(),
                    audience: 0,
                    read: 0,
                });
                b.audience += 1;
                b.read += u32::from(m.account.is_some_and(|r| receipts.contains(&r)));
            }
        }
        let split = rules::readers(
            audience.into_iter().map(|m| (m.person, m.account)),
            &receipts,
        );
        let names_shown = importance.names_the_unread();
        let unread_count = u32::try_from(split.unread.len()).unwrap_or(u32::MAX);
        let mut buildings: Vec<BuildingReaders> = buildings.into_values().collect();
        buildings.sort_by(|x, y| x.name.cmp(&y.name));
        Ok(Json(AnnouncementReaders {
            announcement_id: a.id,
            importance,
            audience: split.audience,
            read: split.read,
            unread_count,
            names_shown,
            buildings,
            unread: if names_shown {
                split
                    .unread
                    .into_iter()
                    .take(limit.0.unwrap_or(500) as usize)
                    .collect()
            } else {
                Vec::new()
            },
        }))
    }
}

/// The condition "the actor sees this row" in SQL: theirs, or over one of their keys (the
/// same keys as the feed's, so the read and the feed agree; [`sees`] checks each row again).
fn seen_by(actor: &Actor) -> Condition {
    let keys: Vec<Uuid> = deliberation::sees_over(actor)
        .chain(sees_over(actor))
        .collect();
    Condition::any()
        .add(announcement::Column::AuthorId.eq(actor.resident_id))
        .add(announcement::Column::RoomId.is_in(keys.clone()))
        .add(announcement::Column::BenchId.is_in(keys.clone()))
        .add(announcement::Column::AreaBenchId.is_in(keys.clone()))
        .add(announcement::Column::CompoundBenchId.is_in(keys.clone()))
        .add(announcement::Column::DeskId.is_in(keys))
}

/// Whether the actor sees the whole audience of an announcement posted at `target`: those
/// who may post there (the committee over it, admins, the president; a group's leaders).
fn whole_audience(actor: &Actor, target: Target) -> bool {
    decide(actor, Action::Announce, target) == Verdict::Allowed
}

/// One member of an audience, with where they live (for a unit's) and their account.
struct Member {
    person: UnreadResident,
    account: Option<Uuid>,
    building: Option<(Uuid, String)>,
}

/// A group's members.
async fn group_audience(conn: &impl ConnectionTrait, group: Uuid) -> Result<Vec<Member>, DbErr> {
    let members = membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group))
        .filter(membership::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let names: HashMap<Uuid, String> = crate::entity::resident::Entity::find()
        .filter(
            crate::entity::resident::Column::Id
                .is_in(members.iter().map(|m| m.resident_id).collect::<Vec<_>>()),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.display_name))
        .collect();
    let mut out: Vec<Member> = members
        .into_iter()
        .map(|m| Member {
            person: UnreadResident {
                name: names.get(&m.resident_id).cloned().unwrap_or_default(),
                has_account: true,
                building_id: None,
                building_name: None,
                entrance: None,
                floor: None,
                room: None,
            },
            account: Some(m.resident_id),
            building: None,
        })
        .collect();
    out.sort_by(|x, y| x.person.name.cmp(&y.person.name));
    Ok(out)
}

/// The verified residents living in the announcement's unit today (the whole community's
/// for a community-wide one), or only `building`'s; only those whose roll the actor keeps
/// unless they see the `whole` audience; ordered by building, entrance, floor and room.
async fn unit_audience(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    a: &announcement::Model,
    building: Option<Uuid>,
    whole: bool,
) -> Result<Vec<Member>, DbErr> {
    let mut q = residency::Entity::find()
        .filter(residency::Column::CommunityId.eq(a.community_id))
        .filter(residency::Column::DeletedAt.is_null())
        .filter(residency::Column::Status.eq("verified"))
        .filter(residency::Column::MovedOut.is_null());
    if let Some(u) = a.unit_id {
        q = q.filter(
            Condition::any()
                .add(residency::Column::BuildingId.eq(u))
                .add(residency::Column::AreaId.eq(u))
                .add(residency::Column::CompoundId.eq(u)),
        );
    }
    if let Some(b) = building {
        q = q.filter(residency::Column::BuildingId.eq(b));
    }
    let rows: Vec<residency::Model> = q
        .all(conn)
        .await?
        .into_iter()
        .filter(|r| {
            whole
                || decide(
                    actor,
                    Action::KeepRoll,
                    Target::Place {
                        community_id: r.community_id,
                        place: place_of_residency(r),
                    },
                ) == Verdict::Allowed
        })
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Where they live: the buildings' names and the flats, read once each for all.
    let in_place = |q: sea_orm::Select<household::Entity>| match (building, a.unit_id) {
        (Some(b), _) => q.filter(household::Column::BuildingId.eq(b)),
        (None, Some(u)) => q.filter(
            Condition::any()
                .add(household::Column::BuildingId.eq(u))
                .add(household::Column::AreaId.eq(u))
                .add(household::Column::CompoundId.eq(u)),
        ),
        (None, None) => q,
    };
    let flats: HashMap<Uuid, household::Model> = in_place(
        household::Entity::find().filter(household::Column::CommunityId.eq(a.community_id)),
    )
    .all(conn)
    .await?
    .into_iter()
    .map(|h| (h.id, h))
    .collect();
    let buildings: BTreeSet<Uuid> = rows.iter().map(|r| r.building_id).collect();
    let names: HashMap<Uuid, String> = unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(a.community_id))
        .filter(unit::Column::Kind.eq(UnitKind::Building.as_str()))
        .filter(unit::Column::Id.is_in(buildings))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut out: Vec<Member> = rows
        .into_iter()
        .map(|r| {
            let flat = flats.get(&r.household_id);
            let building_name = names.get(&r.building_id).cloned().unwrap_or_default();
            Member {
                person: UnreadResident {
                    name: r.name,
                    has_account: r.resident_id.is_some(),
                    building_id: Some(r.building_id),
                    building_name: Some(building_name.clone()),
                    entrance: flat.map(|h| h.entrance.clone()),
                    floor: flat.map(|h| h.floor),
                    room: flat.map(|h| h.room.clone()),
                },
                account: r.resident_id,
                building: Some((r.building_id, building_name)),
            }
        })
        .collect();
    fn key(m: &Member) -> (Option<&str>, Option<&str>, Option<i32>, Option<&str>, &str) {
        let p = &m.person;
        (
            p.building_name.as_deref(),
            p.entrance.as_deref(),
            p.floor,
            p.room.as_deref(),
            p.name.as_str(),
        )
    }
    out.sort_by(|x, y| key(x).cmp(&key(y)));
    Ok(out)
}
