//! What the territory holds about one resident (their part of `GET /api/v1/me/export`), and
//! what it lets go of when they delete their account.
//!
//! Retention at deletion: an open residency ends that day (the household's history keeps
//! that someone lived there, not who), and every residency row of theirs is anonymised: the
//! name becomes `已刪除的居民` and the birth only its year (the census of past years stays
//! right; no one can be found by it). Their holdings end that day and keep the position's
//! history under the anonymised account.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Object;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::entity::{household, position, residency};
use super::local_today;
use crate::sync::write::bump_version;

/// What the territory holds about the resident.
#[derive(Debug, Object)]
pub struct TerritoryData {
    /// Every household claimed or recorded for them, with what was declared.
    pub residencies: Vec<HeldResidency>,
    /// Every position held, past and present.
    pub positions: Vec<HeldPosition>,
}

#[derive(Debug, Object)]
pub struct HeldResidency {
    pub household_id: Uuid,
    pub flat: String,
    pub name: String,
    pub born: String,
    pub relation: String,
    pub status: String,
    pub moved_in: NaiveDate,
    #[oai(skip_serializing_if_is_none)]
    pub moved_out: Option<NaiveDate>,
}

#[derive(Debug, Object)]
pub struct HeldPosition {
    pub kind: String,
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    #[oai(skip_serializing_if_is_none)]
    pub ends_on: Option<NaiveDate>,
    pub shows_phone: bool,
}

pub async fn held_by(conn: &impl ConnectionTrait, resident: Uuid) -> Result<TerritoryData, DbErr> {
    let rows = residency::Entity::find()
        .filter(residency::Column::ResidentId.eq(resident))
        .filter(residency::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let flats = household::Entity::find()
        .filter(household::Column::Id.is_in(rows.iter().map(|r| r.household_id)))
        .all(conn)
        .await?;
    let residencies = rows
        .into_iter()
        .map(|r| HeldResidency {
            household_id: r.household_id,
            flat: flats
                .iter()
                .find(|h| h.id == r.household_id)
                .map(|h| format!("{}-{}", h.entrance, h.room))
                .unwrap_or_default(),
            name: r.name,
            born: r.born,
            relation: r.relation,
            status: r.status,
            moved_in: r.moved_in,
            moved_out: r.moved_out,
        })
        .collect();
    let positions = position::Entity::find()
        .filter(position::Column::ResidentId.eq(resident))
        .filter(position::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|p| HeldPosition {
            kind: p.kind,
            unit_id: p.unit_id,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            shows_phone: p.show_phone,
        })
        .collect();
    Ok(TerritoryData {
        residencies,
        positions,
    })
}

/// The name an anonymised residency shows.
pub const FORGOTTEN: &str = "已刪除的居民";

pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let today = local_today(now);
    let rows = residency::Entity::find()
        .filter(residency::Column::ResidentId.eq(resident))
        .filter(residency::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let held = position::Entity::find()
        .filter(position::Column::ResidentId.eq(resident))
        .filter(position::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    if rows.is_empty() && held.is_empty() {
        return Ok(None);
    }
    let version = bump_version(conn, community).await?;
    for mut r in rows {
        r.name = FORGOTTEN.to_owned();
        r.born = r.born.chars().take(4).collect();
        if r.moved_out.is_none() {
            r.moved_out = Some(today.max(r.moved_in));
        }
        r.version = version;
        residency::Entity::update(r.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    for mut p in held {
        p.holder_name = FORGOTTEN.to_owned();
        p.show_phone = false;
        if p.ends_on.is_none_or(|e| e > today) {
            p.ends_on = Some(today.max(p.starts_on));
        }
        p.version = version;
        position::Entity::update(p.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    Ok(Some(version))
}
