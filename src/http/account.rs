//! The signed-in resident's own account.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi, payload::Json};
use uuid::Uuid;

use super::communities::CommunitySummary;
use super::error::{ApiError, ApiResult};
use super::{ApiTags, AppState};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::{self, Action, Grant, Target};
use crate::persistence;
use crate::web::authorize;

pub struct AccountApi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RoleName {
    /// Runs the community.
    Admin,
    /// Leads a volunteer group.
    Leader,
    /// Belongs to a volunteer group.
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ScopeKind {
    Community,
    Group,
}

/// A role and the community or group it is held on.
#[derive(Debug, Object)]
pub struct RoleView {
    pub role: RoleName,
    pub scope: ScopeKind,
    pub scope_id: Uuid,
}

impl From<Grant> for RoleView {
    fn from(g: Grant) -> Self {
        Self {
            role: match g.role {
                permissions::Role::Admin => RoleName::Admin,
                permissions::Role::Leader => RoleName::Leader,
                permissions::Role::Member => RoleName::Member,
            },
            scope: match g.scope {
                permissions::Scope::Community(_) => ScopeKind::Community,
                permissions::Scope::Group(_) => ScopeKind::Group,
            },
            scope_id: g.scope.id(),
        }
    }
}

/// The signed-in resident.
#[derive(Debug, Object)]
pub struct Me {
    pub id: Uuid,
    pub community: CommunitySummary,
    /// E.164.
    pub phone: String,
    pub display_name: String,
    pub roles: Vec<RoleView>,
    pub created_at: DateTime<Utc>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Account")]
impl AccountApi {
    /// Who am I
    ///
    /// The signed-in resident's profile, community and roles.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn me(&self, state: Data<&AppState>, auth: BearerAuth) -> ApiResult<Json<Me>> {
        Ok(Json(me(&state, &auth).await?))
    }
}

async fn me(state: &AppState, auth: &BearerAuth) -> Result<Me, ApiError> {
    let actor = state.actor(&auth.0).await?;
    let target = Target::Resident {
        id: actor.resident_id,
        community_id: actor.community_id,
    };
    authorize(
        permissions::decide(&actor, Action::ViewResident, target),
        "resident",
    )?;
    let resident = persistence::residents::find(&state.db, actor.resident_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let community = persistence::communities::find(&state.db, resident.community_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("resident {} has no community", resident.id))?;
    Ok(Me {
        id: resident.id,
        community: community.into(),
        phone: resident.phone,
        display_name: resident.display_name,
        roles: actor.grants.into_iter().map(RoleView::from).collect(),
        created_at: resident.created_at,
    })
}
