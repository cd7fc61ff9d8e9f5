//! The demo's announcements, in 利民小區 (Limin compound).
//!
//! The building leader of the compound's first building posts an urgent notice (the
//! heating is off for repairs tomorrow morning), pinned for three days; half the building's
//! residents with an account read it, so the leader's list of whose door to knock on has
//! both kinds of unread: those who have not opened it and those on the roll without a
//! phone. The president posts a normal notice to the whole community. Everything goes
//! through the same mutations a phone pushes.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::{COMPOUNDS, DemoPhone, applied};
use crate::entity::community;
use crate::features::territory::entity::{position, residency, unit};
use crate::http::AppState;

pub async fn build(
    state: &AppState,
    village: &community::Model,
    president: Uuid,
) -> anyhow::Result<String> {
    let db = &state.db;
    let compound = super::limin(state, village).await?;
    // The compound's first building with a building leader.
    let leaders = position::Entity::find()
        .filter(position::Column::CommunityId.eq(village.id))
        .filter(position::Column::Kind.eq("building_leader"))
        .filter(position::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let residents = residency::Entity::find()
        .filter(residency::Column::CompoundId.eq(compound.id))
        .filter(residency::Column::Status.eq("verified"))
        .filter(residency::Column::MovedOut.is_null())
        .filter(residency::Column::DeletedAt.is_null())
        .order_by_asc(residency::Column::Id)
        .all(db)
        .await?;
    let buildings = unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(village.id))
        .filter(unit::Column::Kind.eq("building"))
        .order_by_asc(unit::Column::Name)
        .all(db)
        .await?;
    let (building, leader) = buildings
        .iter()
        .filter(|b| residents.iter().any(|r| r.building_id == b.id))
        .find_map(|b| {
            leaders
                .iter()
                .find(|p| p.unit_id == Some(b.id))
                .map(|p| (b, p.resident_id))
        })
        .ok_or_else(|| anyhow::anyhow!("no building of {} has a leader", COMPOUNDS[0]))?;

    let notice = Uuid::now_v7();
    let out = DemoPhone::new(leader)
        .push(
            state,
            "announcement.post",
            json!({"id": notice, "unit_id": building.id, "title": "明早停暖檢修",
                   "body": "明天早上8:00至11:00暖氣管道檢修，停暖三小時。家中有老人的請注意保暖，有困難請打樓長電話。",
                   "importance": "urgent", "pinned_until": (Utc::now() + Duration::days(3)).to_rfc3339()}),
        )
        .await?;
    applied(&out, "building leader's urgent notice")?;
    let here: Vec<&residency::Model> = residents
        .iter()
        .filter(|r| r.building_id == building.id)
        .collect();
    let with_phone: Vec<Uuid> = here.iter().filter_map(|r| r.resident_id).collect();
    let readers = with_phone.len().div_ceil(2);
    for who in &with_phone[..readers] {
        let out = DemoPhone::new(*who)
            .push(
                state,
                "announcement.read",
                json!({"announcement_id": notice}),
            )
            .await?;
        applied(&out, "a resident's read receipt")?;
    }
    let out = DemoPhone::new(president)
        .push(
            state,
            "announcement.post",
            json!({"id": Uuid::now_v7(), "title": "冬季防煤氣中毒提示",
                   "body": "燒煤取暖請開窗通風，不要在臥室放爐子。發現頭暈噁心，馬上開窗並撥打120。",
                   "importance": "normal"}),
        )
        .await?;
    applied(&out, "president's notice")?;
    Ok(format!(
        "an urgent notice to {} ({}): {readers} of its {} residents read it, {} on the roll without a phone; a notice to the community",
        building.name,
        COMPOUNDS[0],
        here.len(),
        here.len() - with_phone.len()
    ))
}
