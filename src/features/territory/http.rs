//! Reads of the territory for screens that are not offline replicas: a building's roll (for
//! the holders keeping it), the positions held today, and the caller's own leaders with the
//! numbers they chose to show. Writes go through sync mutations.

use chrono::{NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::{household, position, residency};
use super::rules::{self, Status};
use super::wire::{PositionKindWire, RelationWire, ResidencyStatus};
use super::{local_today, place_of_building};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::{self, Action, Target};
use crate::domain::territory::PositionKind;
use crate::entity::resident;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};
use crate::web::{Core, authorize};

/// The territory's tag in the API document.
#[derive(Tags)]
pub enum TerritoryTags {
    /// The community's compounds, buildings, households and grid cells; who lives where
    /// (for those keeping the roll); who holds which position.
    Territory,
}

pub struct TerritoryApi;

/// One person on a building's roll.
#[derive(Debug, Object)]
pub struct RollEntry {
    pub residency_id: Uuid,
    pub household_id: Uuid,
    pub entrance: String,
    pub floor: i32,
    pub room: String,
    pub name: String,
    pub born: String,
    pub relation: RelationWire,
    /// `pending` claims await the building leader's decision; `verified` ones count.
    pub status: ResidencyStatus,
    /// None for a resident recorded without an account.
    #[oai(skip_serializing_if_is_none)]
    pub resident_id: Option<Uuid>,
    pub moved_in: NaiveDate,
}

/// A building's roll today.
#[derive(Debug, Object)]
pub struct Roll {
    pub building_id: Uuid,
    pub households: u32,
    /// Verified residents living there today: the census.
    pub residents: u32,
    /// Of them, 18 or older today (by date, or by year where the year decides).
    pub adults: u32,
    /// Claims waiting for a decision.
    pub pending: u32,
    pub entries: Vec<RollEntry>,
}

/// A position held today.
#[derive(Debug, Object)]
pub struct Holder {
    pub position_id: Uuid,
    pub kind: PositionKindWire,
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    pub resident_id: Uuid,
    pub holder_name: String,
    /// Only in `GET /api/v1/me/leaders`, to residents of the unit, if the holder chose to.
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
}

fn holder(p: &position::Model, phone: Option<String>) -> Option<Holder> {
    Some(Holder {
        position_id: p.id,
        kind: PositionKindWire::of(PositionKind::parse(&p.kind)?)?,
        unit_id: p.unit_id,
        resident_id: p.resident_id,
        holder_name: p.holder_name.clone(),
        phone,
    })
}

/// Holdings of the community held on `day`.
async fn held_on(
    state: &Core,
    community: Uuid,
    day: NaiveDate,
) -> Result<Vec<position::Model>, ApiError> {
    Ok(position::Entity::find()
        .filter(position::Column::CommunityId.eq(community))
        .filter(position::Column::DeletedAt.is_null())
        .filter(position::Column::StartsOn.lte(day))
        .filter(
            Condition::any()
                .add(position::Column::EndsOn.is_null())
                .add(position::Column::EndsOn.gte(day)),
        )
        .order_by_asc(position::Column::Kind)
        .order_by_asc(position::Column::Id)
        .all(&state.db)
        .await?)
}

#[OpenApi(prefix_path = "/api/v1", tag = "TerritoryTags::Territory")]
impl TerritoryApi {
    /// A building's roll
    ///
    /// Who lives in the building today, household by household, with the census counts: for
    /// the holders keeping its roll (its building leader, the area leader and branch
    /// president above it, its grid worker, the president and vice president) and admins.
    #[oai(
        path = "/buildings/:building_id/roll",
        method = "get",
        operation_id = "get_building_roll"
    )]
    async fn roll(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        building_id: Path<Uuid>,
    ) -> ApiResult<Json<Roll>, { SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let (building, place) = place_of_building(&state.db, &actor, building_id.0)
            .await?
            .ok_or(ApiError::NotFound("building"))?;
        authorize(
            permissions::decide(
                &actor,
                Action::KeepRoll,
                Target::Place {
                    community_id: building.community_id,
                    place,
                },
            ),
            "building",
        )?;
        let today = local_today(Utc::now());
        let flats = household::Entity::find()
            .filter(household::Column::BuildingId.eq(building.id))
            .filter(household::Column::DeletedAt.is_null())
            .all(&state.db)
            .await?;
        let people = residency::Entity::find()
            .filter(residency::Column::BuildingId.eq(building.id))
            .filter(residency::Column::DeletedAt.is_null())
            .filter(
                residency::Column::Status
                    .is_in([Status::Pending.as_str(), Status::Verified.as_str()]),
            )
            .all(&state.db)
            .await?;
        let flat = |id: Uuid| flats.iter().find(|h| h.id == id);
        let mut entries: Vec<RollEntry> = people
            .iter()
            .filter(|r| r.moved_in <= today && r.moved_out.is_none_or(|out| out >= today))
            .filter_map(|r| {
                let h = flat(r.household_id)?;
                Some(RollEntry {
                    residency_id: r.id,
                    household_id: h.id,
                    entrance: h.entrance.clone(),
                    floor: h.floor,
                    room: h.room.clone(),
                    name: r.name.clone(),
                    born: r.born.clone(),
                    relation: RelationWire::of(
                        rules::Relation::parse(&r.relation).unwrap_or(rules::Relation::Family),
                    )
                    .unwrap_or(RelationWire::Family),
                    status: ResidencyStatus::of(Status::parse(&r.status))
                        .unwrap_or(ResidencyStatus::Pending),
                    resident_id: r.resident_id,
                    moved_in: r.moved_in,
                })
            })
            .collect();
        entries.sort_by(|a, b| {
            (&a.entrance, a.floor, &a.room, &a.name).cmp(&(&b.entrance, b.floor, &b.room, &b.name))
        });
        let verified: Vec<&RollEntry> = entries
            .iter()
            .filter(|e| e.status == ResidencyStatus::Verified)
            .collect();
        let adults = verified
            .iter()
            .filter(|e| {
                rules::Birth::parse(&e.born, today)
                    .ok()
                    .and_then(|b| b.at_least(rules::ADULT, today))
                    .unwrap_or(false)
            })
            .count();
        Ok(Json(Roll {
            building_id: building.id,
            households: flats.len() as u32,
            residents: verified.len() as u32,
            adults: adults as u32,
            pending: (entries.len() - verified.len()) as u32,
            entries,
        }))
    }

    /// Positions held today
    ///
    /// Every position of the community held today, with its holder's name (no numbers).
    #[oai(path = "/positions", method = "get", operation_id = "list_positions")]
    async fn positions(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<Holder>>, SIGNED_IN> {
        let actor = state.actor(&auth.0).await?;
        let held = held_on(&state, actor.community_id, local_today(Utc::now())).await?;
        Ok(Json(held.iter().filter_map(|p| holder(p, None)).collect()))
    }

    /// My leaders
    ///
    /// The holders over the caller's household today (its building leader, area leader,
    /// branch president, grid worker and representatives) and the community's president
    /// and vice presidents, each with their phone number if they chose to show it to the
    /// residents of their unit. Without a confirmed household, the community-wide ones only.
    #[oai(path = "/me/leaders", method = "get", operation_id = "list_my_leaders")]
    async fn my_leaders(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<Holder>>, SIGNED_IN> {
        let actor = state.actor(&auth.0).await?;
        let today = local_today(Utc::now());
        let home = super::roll::open_residency(&state.db, actor.resident_id, today)
            .await?
            .filter(|r| Status::parse(&r.status) == Status::Verified);
        let place = home.as_ref().map(super::place_of_residency);
        let held = held_on(&state, actor.community_id, today).await?;
        let mine: Vec<&position::Model> = held
            .iter()
            .filter(|p| match p.unit_id {
                None => matches!(
                    PositionKind::parse(&p.kind),
                    Some(PositionKind::President | PositionKind::VicePresident)
                ),
                Some(u) => place.is_some_and(|place| place.lies_in(u)),
            })
            .collect();
        let shown: Vec<Uuid> = mine
            .iter()
            .filter(|p| p.show_phone)
            .map(|p| p.resident_id)
            .collect();
        let phones: std::collections::HashMap<Uuid, String> = if shown.is_empty() {
            Default::default()
        } else {
            resident::Entity::find()
                .filter(resident::Column::Id.is_in(shown))
                .all(&state.db)
                .await?
                .into_iter()
                .map(|r| (r.id, r.phone))
                .collect()
        };
        Ok(Json(
            mine.iter()
                .filter_map(|p| {
                    let phone = p
                        .show_phone
                        .then(|| phones.get(&p.resident_id).cloned())
                        .flatten();
                    holder(p, phone)
                })
                .collect(),
        ))
    }
}
