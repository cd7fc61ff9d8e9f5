//! The roll (the electorate): who may vote, read live while nominations are open (to check
//! nominators, seconders and nominees), and frozen into elector rows when they close. From
//! then on the roll does not change: a voter who moves out stays on it, and a resident who
//! moves in does not join it. Its hash goes into the record and onto the election.
//!
//! Eligible (the default rules): a verified residency in a household of the election's unit
//! (any, for a community-wide election), open on the day the roll freezes, begun by the day
//! voting opens, and of `min_age` on that day; a birth known only by its year that leaves
//! the age in doubt is left off (an officer asks for the date and corrects the roll before
//! nominations close). On a household roll, each such household has one entry, in the name
//! of its owner (or else its eldest voter), who votes on the phone if they have an account.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use super::entity::{candidate, election, elector};
use super::rules::{self, Basis, State};
use super::{record, settings_of};
use crate::features::territory::entity::{household, residency, unit};
use crate::features::territory::rules::{Birth, Relation, Status};
use crate::features::territory::{local_today, roll::open_residency};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// The local day voting opens: the day the age is reckoned on.
pub fn voting_day(e: &election::Model) -> NaiveDate {
    local_today(e.voting_opens)
}

/// Whether the residency's household lies in `unit` (anywhere, for the community).
pub fn in_unit(r: &residency::Model, unit: Option<Uuid>) -> bool {
    unit.is_none_or(|u| r.building_id == u || r.area_id == Some(u) || r.compound_id == u)
}

/// Whether a residency gives a vote in `e`, as the roll would be frozen on `today`.
pub fn gives_a_vote(r: &residency::Model, e: &election::Model, today: NaiveDate) -> bool {
    let day = voting_day(e);
    r.community_id == e.community_id
        && r.deleted_at.is_none()
        && Status::parse(&r.status) == Status::Verified
        && r.moved_out.is_none_or(|out| out >= today)
        && r.moved_in <= day
        && in_unit(r, e.unit_id)
        && Birth::parse(&r.born, day)
            .ok()
            .and_then(|b| b.at_least(e.min_age, day))
            == Some(true)
}

/// The resident's residency that gives them a vote in `e` today (nominating, seconding,
/// standing), if any.
pub async fn voter_residency(
    conn: &impl ConnectionTrait,
    e: &election::Model,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<residency::Model>> {
    let today = local_today(now);
    Ok(open_residency(conn, resident, today)
        .await?
        .filter(|r| gives_a_vote(r, e, today)))
}

/// The resident's entry on `e`'s frozen roll.
pub async fn entry_of(
    conn: &impl ConnectionTrait,
    election: Uuid,
    resident: Uuid,
) -> Result<Option<elector::Model>> {
    elector::Entity::find()
        .filter(elector::Column::ElectionId.eq(election))
        .filter(elector::Column::ResidentId.eq(resident))
        .filter(elector::Column::DeletedAt.is_null())
        .one(conn)
        .await
}

/// A roll entry of `e`.
pub async fn entry(
    conn: &impl ConnectionTrait,
    e: &election::Model,
    id: Uuid,
) -> Result<Option<elector::Model>> {
    Ok(elector::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|x| x.election_id == e.id && x.deleted_at.is_none()))
}

/// Every entry of `e`'s roll.
pub async fn entries(conn: &impl ConnectionTrait, election: Uuid) -> Result<Vec<elector::Model>> {
    elector::Entity::find()
        .filter(elector::Column::ElectionId.eq(election))
        .filter(elector::Column::DeletedAt.is_null())
        .all(conn)
        .await
}

/// One entry before it is written.
struct Entry {
    resident: Option<Uuid>,
    residency: Option<Uuid>,
    household: Uuid,
    name: String,
}

/// The electorate `e`'s rules give on `today`, read in one query per table.
async fn electorate(
    conn: &impl ConnectionTrait,
    e: &election::Model,
    today: NaiveDate,
) -> Result<(Vec<Entry>, HashMap<Uuid, String>)> {
    let mut q = residency::Entity::find()
        .filter(residency::Column::CommunityId.eq(e.community_id))
        .filter(residency::Column::DeletedAt.is_null())
        .filter(residency::Column::Status.eq(Status::Verified.as_str()));
    if let Some(u) = e.unit_id {
        q = q.filter(
            Condition::any()
                .add(residency::Column::BuildingId.eq(u))
                .add(residency::Column::AreaId.eq(u))
                .add(residency::Column::CompoundId.eq(u)),
        );
    }
    let voters: Vec<residency::Model> = q
        .all(conn)
        .await?
        .into_iter()
        .filter(|r| gives_a_vote(r, e, today))
        .collect();
    let places = places(conn, e.community_id).await?;
    let entries = match settings_of(e).basis {
        Basis::Person => voters
            .into_iter()
            .map(|r| Entry {
                resident: r.resident_id,
                residency: Some(r.id),
                household: r.household_id,
                name: r.name,
            })
            .collect(),
        Basis::Household => {
            let mut by_household: BTreeMap<Uuid, Vec<residency::Model>> = BTreeMap::new();
            for r in voters {
                by_household.entry(r.household_id).or_default().push(r);
            }
            by_household
                .into_iter()
                .filter_map(|(h, mut members)| {
                    // The owner first, then the eldest; an account before none.
                    members.sort_by_key(|r| {
                        (
                            Relation::parse(&r.relation) != Some(Relation::Owner),
                            r.resident_id.is_none(),
                            r.born.clone(),
                            r.id,
                        )
                    });
                    let rep = members.into_iter().next()?;
                    Some(Entry {
                        resident: rep.resident_id,
                        residency: None,
                        household: h,
                        name: rep.name,
                    })
                })
                .collect()
        }
    };
    Ok((entries, places))
}

/// Each household's place as officers find it: building, entrance, room.
async fn places(conn: &impl ConnectionTrait, community: Uuid) -> Result<HashMap<Uuid, String>> {
    let buildings: HashMap<Uuid, String> = unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(community))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(household::Entity::find()
        .filter(household::Column::CommunityId.eq(community))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| {
            let building = buildings.get(&h.building_id).map_or("", String::as_str);
            let place = if h.entrance.is_empty() {
                format!("{building} {}", h.room)
            } else {
                format!("{building} {}單元 {}", h.entrance, h.room)
            };
            (h.id, place)
        })
        .collect())
}

/// Freezes `e`'s roll and its candidates, inside the caller's write transaction: writes
/// the elector rows, puts on the ballot each candidate who accepted, has their seconders
/// (or the committee's name) and is on the roll, and records it. Nobody standing fails the
/// election. Returns the version written.
pub async fn freeze(
    txn: &impl ConnectionTrait,
    e: &mut election::Model,
    now: DateTime<Utc>,
) -> Result<i64> {
    let version = bump_version(txn, e.community_id).await?;
    let today = local_today(now);
    let desk = rules::desk(e.community_id);
    let entries = match e.runoff_of {
        // A second round keeps the first round's electorate.
        Some(first) => entries(txn, first)
            .await?
            .into_iter()
            .map(|x| {
                (
                    Entry {
                        resident: x.resident_id,
                        residency: x.residency_id,
                        household: x.household_id,
                        name: x.name,
                    },
                    x.place,
                )
            })
            .collect::<Vec<_>>(),
        None => {
            let (entries, places) = electorate(txn, e, today).await?;
            entries
                .into_iter()
                .map(|x| {
                    let place = places.get(&x.household).cloned().unwrap_or_default();
                    (x, place)
                })
                .collect()
        }
    };
    let rows: Vec<elector::Model> = entries
        .into_iter()
        .map(|(x, place)| elector::Model {
            id: Uuid::now_v7(),
            community_id: e.community_id,
            election_id: e.id,
            resident_id: x.resident,
            residency_id: x.residency,
            household_id: x.household,
            name: x.name,
            place,
            desk_id: desk,
            voted: None,
            voted_at: None,
            proxy_id: None,
            proxy_name: None,
            conflict: None,
            version,
            created_at: now,
            deleted_at: None,
        })
        .collect();
    let roll_hash = rules::roll_hash(rows.iter().map(|r| (r.id, r.name.as_str())));
    let by_resident: HashMap<Uuid, Uuid> = rows
        .iter()
        .filter_map(|r| Some((r.resident_id?, r.id)))
        .collect();
    e.roll_size = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    let mut rows = rows
        .into_iter()
        .map(IntoActiveModel::into_active_model)
        .peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(500).collect();
        elector::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }

    let settings = settings_of(e);
    let mut standing = Vec::new();
    for mut c in candidate::Entity::find()
        .filter(candidate::Column::ElectionId.eq(e.id))
        .filter(candidate::Column::DeletedAt.is_null())
        .all(txn)
        .await?
    {
        c.elector_id = by_resident.get(&c.resident_id).copied();
        c.standing = c.response == "accepted"
            && (c.by_committee || u32::try_from(c.seconds).unwrap_or(0) >= settings.seconders)
            && c.elector_id.is_some();
        c.version = version;
        if c.standing {
            standing.push(serde_json::json!({
                "candidate_id": c.id, "elector_id": c.elector_id, "name": c.name,
            }));
        }
        candidate::Entity::update(c.into_active_model().reset_all())
            .exec(txn)
            .await?;
    }
    let mode = rules::mode_for(standing.len(), settings.seats);
    e.mode = mode.map(|m| m.as_str().to_owned());
    e.roll_hash = Some(roll_hash.clone());
    e.state = match mode {
        Some(_) => State::Voting,
        None => State::Failed,
    }
    .as_str()
    .to_owned();
    record::append(
        txn,
        e,
        "roll_frozen",
        &serde_json::json!({
            "roll_size": e.roll_size,
            "roll_hash": roll_hash,
            "mode": e.mode,
            "standing": standing,
        }),
    )
    .await?;
    if mode.is_none() {
        record::append(
            txn,
            e,
            "failed",
            &serde_json::json!({"reason": "nobody stands"}),
        )
        .await?;
    }
    e.version = version;
    election::Entity::update(e.clone().into_active_model().reset_all())
        .exec(txn)
        .await?;
    Ok(version)
}
