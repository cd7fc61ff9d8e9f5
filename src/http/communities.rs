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

/// Default and largest page size for resident lists.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

#[OpenApi(prefix_path = "/api/v1/communities", tag = "ApiTags::Communities")]
impl CommunitiesApi {
    /// List communities
    ///
    /// Every community of this deployment, for the registration screen. Needs no sign-in.
    #[oai(path = "/", method = "get", operation_id = "list_communities")]
    async fn list(&self, state: Data<&AppState>) -> ApiResult<Json<Vec<CommunitySummary>>> {
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
    ) -> ApiResult<Json<ResidentPage>> {
        let limit = limit.0.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
        Ok(Json(
            residents(&state, &auth, community_id.0, after.0, limit).await?,
        ))
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
