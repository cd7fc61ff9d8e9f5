//! What crowdfunding holds about a resident: their pledges (their data export); and what
//! goes when their account is deleted. Pledges not yet received are withdrawn (the
//! campaign's totals drop them); every pledge row goes. The ledger stays as it is: it is the
//! committee's account of the community's money, and its chain must hold.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::campaigns::withdraw_row;
use super::entity::{campaign_rating, pledge};
use super::pledge_change;
use super::wire::PledgeData;
use crate::features::Change;
use crate::sync::write::bump_version;

#[derive(Debug, Object)]
pub struct CrowdfundingData {
    pub pledges: Vec<PledgeData>,
    /// Ratings given to closed campaigns.
    pub ratings: Vec<super::wire::CampaignRatingData>,
}

pub async fn held_by(
    conn: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<CrowdfundingData, DbErr> {
    Ok(CrowdfundingData {
        pledges: pledge::Entity::find()
            .filter(pledge::Column::ResidentId.eq(resident))
            .filter(pledge::Column::DeletedAt.is_null())
            .order_by_asc(pledge::Column::CreatedAt)
            .all(conn)
            .await?
            .iter()
            .filter_map(|p| match pledge_change(p) {
                Change::Pledge(c) => c.data,
                _ => None,
            })
            .collect(),
        ratings: campaign_rating::Entity::find()
            .filter(campaign_rating::Column::ResidentId.eq(resident))
            .filter(campaign_rating::Column::DeletedAt.is_null())
            .all(conn)
            .await?
            .iter()
            .filter_map(|r| match super::rating_change(r) {
                Change::CampaignRating(c) => c.data,
                _ => None,
            })
            .collect(),
    })
}

pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let pledges = pledge::Entity::find()
        .filter(pledge::Column::ResidentId.eq(resident))
        .filter(pledge::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let ratings = campaign_rating::Entity::find()
        .filter(campaign_rating::Column::ResidentId.eq(resident))
        .filter(campaign_rating::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    if pledges.is_empty() && ratings.is_empty() {
        return Ok(None);
    }
    let version = bump_version(conn, community).await?;
    // The ratings leave the rater's phones; the campaign's count and sum stay (no name).
    for r in ratings {
        let mut r = r;
        r.deleted_at = Some(now);
        r.version = version;
        r.into_active_model().reset_all().update(conn).await?;
    }
    for p in pledges {
        let mut p = if p.status == "pledged" {
            withdraw_row(conn, p, version).await?
        } else {
            p
        };
        p.deleted_at = Some(now);
        p.version = version;
        p.into_active_model().reset_all().update(conn).await?;
    }
    Ok(Some(version))
}
