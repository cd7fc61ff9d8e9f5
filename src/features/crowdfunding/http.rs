//! Reads of crowdfunding: the community's campaigns, one campaign's ledger checked link by
//! link (anyone in the community can see that no past entry was changed), and a campaign's
//! pledges for its treasurer (a resident sees their own).

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::campaigns::items_of;
use super::entity::{campaign, ledger_entry, pledge};
use super::rules::{self, Kind, Status};
use super::wire::{CampaignData, LedgerEntryData, PledgeData};
use super::{campaign_change, entry_change, ledger, pledge_change, sees_pledge};
use crate::auth::bearer::BearerAuth;
use crate::features::Change;
use crate::features::attachments;
use crate::web::Core;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

#[derive(Tags)]
pub enum CrowdfundingTags {
    /// Micro-crowdfunding (微愛眾籌): campaigns, their public ledgers, pledges.
    Crowdfunding,
}

pub struct CrowdfundingApi;

/// A campaign's public ledger, checked.
#[derive(Debug, Object)]
pub struct CampaignLedger {
    pub campaign: CampaignData,
    /// In order, 1, 2, 3…
    pub entries: Vec<LedgerEntryData>,
    /// Whether every entry's hash is the hash of its content after the one before, every
    /// balance the one before plus its change, and the last hash the campaign's head.
    pub verified: bool,
    /// The first entry that does not hold, when one does not.
    #[oai(skip_serializing_if_is_none)]
    #[oai(validator(minimum(value = "1")))]
    pub broken_seq: Option<i32>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "CrowdfundingTags::Crowdfunding")]
impl CrowdfundingApi {
    /// The community's campaigns
    ///
    /// Newest first; `status` for one state only. Every resident sees them.
    #[oai(path = "/campaigns", method = "get", operation_id = "listCampaigns")]
    async fn campaigns(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        status: Query<Option<Status>>,
    ) -> ApiResult<Json<Vec<CampaignData>>, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let mut q = campaign::Entity::find()
            .filter(campaign::Column::CommunityId.eq(actor.community_id))
            .filter(campaign::Column::DeletedAt.is_null());
        if let Some(s) = status.0 {
            q = q.filter(campaign::Column::Status.eq(s.as_str()));
        }
        Ok(Json(
            q.order_by_desc(campaign::Column::CreatedAt)
                .all(&state.db)
                .await?
                .iter()
                .filter_map(|c| match campaign_change(c) {
                    Change::Campaign(x) => x.data,
                    _ => None,
                })
                .collect(),
        ))
    }

    /// A campaign's ledger
    ///
    /// Every entry in order, checked as anyone can check it: each hash recomputed from the
    /// entry's content and the hash before, each balance from the one before.
    #[oai(
        path = "/campaigns/:campaign_id/ledger",
        method = "get",
        operation_id = "getCampaignLedger"
    )]
    async fn ledger(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        campaign_id: Path<Uuid>,
    ) -> ApiResult<Json<CampaignLedger>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let c = campaign::Entity::find_by_id(campaign_id.0)
            .one(&state.db)
            .await?
            .filter(|c| c.community_id == actor.community_id && c.deleted_at.is_none())
            .ok_or(ApiError::NotFound("campaign"))?;
        let rows = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::CampaignId.eq(c.id))
            .order_by_asc(ledger_entry::Column::Seq)
            .all(&state.db)
            .await?;
        let kinds: std::collections::HashMap<uuid::Uuid, Kind> = rows
            .iter()
            .filter_map(|e| Some((e.id, Kind::parse(&e.kind)?)))
            .collect();
        let parsed: Vec<(Vec<rules::ItemCount>, Vec<String>)> = rows
            .iter()
            .map(|e| {
                (
                    items_of(&e.items),
                    attachments::from_column(&e.photos)
                        .into_iter()
                        .map(|p| p.id.to_string())
                        .collect(),
                )
            })
            .collect();
        let checked = rules::verify(rows.iter().zip(&parsed).map(|(e, (items, photos))| {
            (
                ledger::content(e, items, photos),
                e.hash.as_str(),
                e.reverses.and_then(|r| kinds.get(&r).copied()),
            )
        }));
        let (verified, broken_seq) = match checked {
            Ok(head) if head == c.ledger_head => (true, None),
            Ok(_) => (false, rows.last().map(|e| e.seq)),
            Err(
                rules::Broken::Hash { seq }
                | rules::Broken::Balance { seq }
                | rules::Broken::Gap { seq },
            ) => (false, Some(seq)),
        };
        Ok(Json(CampaignLedger {
            campaign: match campaign_change(&c) {
                Change::Campaign(x) => x.data.ok_or(ApiError::NotFound("campaign"))?,
                _ => return Err(ApiError::NotFound("campaign").into()),
            },
            entries: rows
                .iter()
                .filter_map(|e| match entry_change(e) {
                    Change::LedgerEntry(x) => x.data,
                    _ => None,
                })
                .collect(),
            verified,
            broken_seq,
        }))
    }

    /// A campaign's pledges
    ///
    /// For its treasurer (and admins): every pledge, with the names of those who gave
    /// anonymously. Any other resident gets their own pledges only.
    #[oai(
        path = "/campaigns/:campaign_id/pledges",
        method = "get",
        operation_id = "listCampaignPledges"
    )]
    async fn pledges(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        campaign_id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<PledgeData>>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        campaign::Entity::find_by_id(campaign_id.0)
            .one(&state.db)
            .await?
            .filter(|c| c.community_id == actor.community_id && c.deleted_at.is_none())
            .ok_or(ApiError::NotFound("campaign"))?;
        Ok(Json(
            pledge::Entity::find()
                .filter(pledge::Column::CampaignId.eq(campaign_id.0))
                .filter(pledge::Column::DeletedAt.is_null())
                .order_by_asc(pledge::Column::CreatedAt)
                .all(&state.db)
                .await?
                .iter()
                .filter(|p| sees_pledge(&actor, p))
                .filter_map(|p| match pledge_change(p) {
                    Change::Pledge(x) => x.data,
                    _ => None,
                })
                .collect(),
        ))
    }
}
