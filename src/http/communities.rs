//! The communities of this deployment, and (for their admins) their residents.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::{ApiTags, AppState};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::{self, Action, Target};
use crate::entity::{community, resident};
use crate::persistence;
use crate::web::authorize;
use crate::web::error::answers::*;

pub struct CommunitiesApi;

/// A community residents can join.
#[derive(Debug, Object)]
pub struct CommunitySummary {
    pub id: Uuid,
    /// Short unique name, for URLs and the command line.
    pub slug: String,
    pub name: String,
}

impl From<community::Model> for CommunitySummary {
    fn from(c: community::Model) -> Self {
        Self {
            id: c.id,
            slug: c.slug,
            name: c.name,
        }
    }
}

/// A resident, as the community's admins see them.
#[derive(Debug, Object)]
pub struct ResidentView {
    pub id: Uuid,
    pub display_name: String,
    /// E.164.
    pub phone: String,
    pub created_at: DateTime<Utc>,
}

impl From<resident::Model> for ResidentView {
    fn from(r: resident::Model) -> Self {
        Self {
            id: r.id,
            display_name: r.display_name,
            phone: r.phone,
            created_at: r.created_at,
        }
    }
}

/// One page of residents, oldest account first.
#[derive(Debug, Object)]
pub struct ResidentPage {
    pub residents: Vec<ResidentView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_after: Option<Uuid>,
}

/// One privileged action in the audit log.
#[derive(Debug, Object)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The resident who did it.
    pub actor_id: Uuid,
    /// What: `member.set_role`, `member.remove`, `group.delete`, `series.delete`,
    /// `attendance.correct`, `me.export`, `account.delete`.
    pub action: String,
    /// To whom or what.
    #[oai(skip_serializing_if_is_none)]
    pub object_id: Option<Uuid>,
    pub detail: String,
}

/// One page of the audit log, newest first.
#[derive(Debug, Object)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_before: Option<Uuid>,
}

/// Default and largest page size for resident lists.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

#[OpenApi(prefix_path = "/api/v1/communities", tag = "ApiTags::Communities")]
impl CommunitiesApi {
    /// List communities
    ///
    /// Every community of this deployment, for the registration screen. Needs no sign-in.
    #[oai(path = "/", method = "get", operation_id = "list_communities")]
    async fn list(&self, state: Data<&AppState>) -> ApiResult<Json<Vec<CommunitySummary>>, ALWAYS> {
        let communities = persistence::communities::list(&state.db)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(communities.into_iter().map(Into::into).collect()))
    }

    /// List a community's residents
    ///
    /// Admins of the community only. Pages of at most 200, oldest account first.
    #[oai(
        path = "/:community_id/residents",
        method = "get",
        operation_id = "list_residents"
    )]
    async fn residents(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        community_id: Path<Uuid>,
        /// The `next_after` of the previous page.
        after: Query<Option<Uuid>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<ResidentPage>, { SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND }> {
        let limit = limit.0.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
        Ok(Json(
            residents(&state, &auth, community_id.0, after.0, limit).await?,
        ))
    }

    /// Read the audit log
    ///
    /// Admins of the community only. Every privileged action (roles given or taken, members
    /// removed, groups and series deleted, attendance corrected, data exported, accounts
    /// deleted), newest first, in pages of at most 200. The log is only ever appended to.
    #[oai(
        path = "/:community_id/audit",
        method = "get",
        operation_id = "list_audit_log"
    )]
    async fn audit(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        community_id: Path<Uuid>,
        /// The `next_before` of the previous page.
        before: Query<Option<Uuid>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<AuditPage>, { SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        authorize(
            permissions::decide(
                &actor,
                Action::ReadAudit,
                Target::Community { id: community_id.0 },
            ),
            "community",
        )?;
        let limit = limit.0.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE) as usize;
        let mut page =
            persistence::audit::page(&state.db, community_id.0, before.0, limit as u64 + 1)
                .await
                .map_err(ApiError::from)?;
        let more = page.len() > limit;
        page.truncate(limit);
        Ok(Json(AuditPage {
            next_before: if more {
                page.last().map(|e| e.id)
            } else {
                None
            },
            entries: page
                .into_iter()
                .map(|e| AuditEntry {
                    id: e.id,
                    at: e.at,
                    actor_id: e.actor_id,
                    action: e.action,
                    object_id: e.object_id,
                    detail: e.detail,
                })
                .collect(),
        }))
    }
}

async fn residents(
    state: &AppState,
    auth: &BearerAuth,
    community_id: Uuid,
    after: Option<Uuid>,
    limit: u32,
) -> Result<ResidentPage, ApiError> {
    let actor = state.actor(&auth.0).await?;
    authorize(
        permissions::decide(
            &actor,
            Action::ListResidents,
            Target::Community { id: community_id },
        ),
        "community",
    )?;
    let mut page =
        persistence::residents::page(&state.db, community_id, after, u64::from(limit) + 1).await?;
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    Ok(ResidentPage {
        next_after: if more {
            page.last().map(|r| r.id)
        } else {
            None
        },
        residents: page.into_iter().map(Into::into).collect(),
    })
}
