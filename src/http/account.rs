//! The signed-in resident's own account.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi, payload::Json};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::communities::CommunitySummary;
use super::error::{ApiError, ApiResult};
use super::{ApiTags, AppState};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::{self, Action, Grant, Target};
use crate::entity::sync_client;
use crate::features::HeldByCapabilities;
use crate::persistence;
use crate::web::authorize;
use crate::web::error::answers::*;

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
    /// Lives in a household (a confirmed residency).
    Householder,
    BuildingLeader,
    AreaLeader,
    BranchPresident,
    President,
    VicePresident,
    Representative,
    GridWorker,
    HelpTeam,
    Mediator,
    ElectionOfficer,
    CompanyLiaison,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ScopeKind {
    Community,
    Group,
    /// A building, area, compound or grid cell.
    Unit,
    Household,
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
                permissions::Role::Householder => RoleName::Householder,
                permissions::Role::Holds(p) => {
                    use crate::domain::territory::PositionKind as P;
                    match p {
                        P::BuildingLeader => RoleName::BuildingLeader,
                        P::AreaLeader => RoleName::AreaLeader,
                        P::BranchPresident => RoleName::BranchPresident,
                        P::President => RoleName::President,
                        P::VicePresident => RoleName::VicePresident,
                        P::Representative => RoleName::Representative,
                        P::GridWorker => RoleName::GridWorker,
                        P::HelpTeam => RoleName::HelpTeam,
                        P::Mediator => RoleName::Mediator,
                        P::ElectionOfficer => RoleName::ElectionOfficer,
                        P::CompanyLiaison => RoleName::CompanyLiaison,
                    }
                }
            },
            scope: match g.scope {
                permissions::Scope::Community(_) => ScopeKind::Community,
                permissions::Scope::Group(_) => ScopeKind::Group,
                permissions::Scope::Unit(_) => ScopeKind::Unit,
                permissions::Scope::Household(_) => ScopeKind::Household,
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

/// Everything linli holds about the signed-in resident, as the law on personal information
/// entitles them to see and take with them.
#[derive(Debug, Object)]
pub struct MyData {
    pub generated_at: DateTime<Utc>,
    pub account: Me,
    /// Signed-in sessions, current and ended: when each began, and when it ended or ends.
    pub sessions: Vec<SessionRecord>,
    /// The app installations that have synced as the resident.
    pub devices: Vec<DeviceRecord>,
    #[oai(flatten)]
    pub held: HeldByCapabilities,
}

/// The password, to confirm that the account is to be deleted.
#[derive(Debug, Object)]
pub struct DeleteAccountRequest {
    pub password: String,
}

#[derive(poem_openapi::ApiResponse)]
pub enum DeleteAccountResponse {
    /// The account is deleted: signed out everywhere, personal data removed or anonymised.
    #[oai(status = 204)]
    Deleted,
}

/// One signed-in session (a login, kept alive by refreshing).
#[derive(Debug, Object)]
pub struct SessionRecord {
    pub started_at: DateTime<Utc>,
    /// When its newest refresh token expires unless used.
    pub expires_at: DateTime<Utc>,
    /// When it was logged out (or ended for a reused token).
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
}

/// One app installation that has synced.
#[derive(Debug, Object)]
pub struct DeviceRecord {
    pub client_id: Uuid,
    pub first_synced_at: DateTime<Utc>,
    /// How many edits it has sent.
    pub last_mutation_id: u64,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Account")]
impl AccountApi {
    /// Export my data
    ///
    /// Everything linli holds about the signed-in resident, as JSON: the account, sessions
    /// and devices, and what each part of the service keeps (groups, sign-ups, attendance,
    /// calendar feed). Secrets (password and token hashes) are not included.
    #[oai(path = "/me/export", method = "get", operation_id = "export_my_data")]
    async fn export(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<MyData>, SIGNED_IN> {
        Ok(Json(export(&state, &auth).await?))
    }

    /// Delete my account
    ///
    /// Deletes the signed-in resident's account, confirmed with their password: every
    /// session ends at once, their phone number, name, password, roles, devices, group
    /// memberships, sign-ups for sessions still to come (their seats go to the waitlist) and
    /// calendar feed are removed. What the committee must keep (past sign-ups and service
    /// hours) is kept without identity. The phone number can register again.
    #[oai(
        path = "/me/delete",
        method = "post",
        operation_id = "delete_my_account"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        req: &poem::Request,
        auth: BearerAuth,
        body: Json<DeleteAccountRequest>,
    ) -> ApiResult<DeleteAccountResponse, { SIGNED_IN | BODY | TOO_MANY_REQUESTS }> {
        let address = super::auth::client_address(req, &state.trusted_proxies);
        delete_account(&state, &address, &auth, &body.password).await?;
        Ok(DeleteAccountResponse::Deleted)
    }

    /// Who am I
    ///
    /// The signed-in resident's profile, community and roles.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn me(&self, state: Data<&AppState>, auth: BearerAuth) -> ApiResult<Json<Me>, SIGNED_IN> {
        Ok(Json(me(&state, &auth).await?))
    }
}

async fn delete_account(
    state: &AppState,
    address: &str,
    auth: &BearerAuth,
    password: &str,
) -> Result<(), ApiError> {
    use std::time::Instant;
    let actor = state.actor(&auth.0).await?;
    let resident = persistence::residents::find_active(&state.db, actor.resident_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // The password is checked as at login, and throttled the same way.
    let attempt = state
        .login_throttle
        .begin(&resident.phone, address, Instant::now())
        .map_err(ApiError::RateLimited)?;
    if !crate::auth::password::verify(password, Some(resident.password_hash.clone())).await? {
        return Err(ApiError::InvalidCredentials);
    }
    state
        .login_throttle
        .succeeded(attempt, &resident.phone, address);
    let (community, now) = (resident.community_id, Utc::now());
    let (version, sessions) = {
        let _turn = state.write_gate.turn().await;
        let txn = crate::sync::write::begin(&state.db).await?;
        crate::sync::write::lock(&txn, community).await?;
        // Always a new version: caches of who the resident was are read again.
        let version =
            match crate::features::forget_resident(&txn, community, resident.id, now).await? {
                Some(v) => v,
                None => crate::sync::write::bump_version(&txn, community).await?,
            };
        let sessions = persistence::sessions::forget_resident(&txn, resident.id).await?;
        persistence::roles::revoke_all(&txn, resident.id).await?;
        persistence::residents::forget_devices(&txn, resident.id).await?;
        persistence::residents::anonymise(&txn, resident.id, now).await?;
        let entry = persistence::audit::Entry {
            action: "account.delete",
            object: Some(resident.id),
            detail: "deleted their own account".into(),
        };
        persistence::audit::record(&txn, community, resident.id, &entry, now).await?;
        txn.commit().await?;
        (version, sessions)
    };
    for session in sessions {
        state.revoked.revoke(session, now);
    }
    state.sync.poker.committed(community, version);
    tracing::info!(resident = %resident.id, "account deleted");
    Ok(())
}

async fn export(state: &AppState, auth: &BearerAuth) -> Result<MyData, ApiError> {
    let account = me(state, auth).await?;
    // One snapshot, so the parts agree.
    let txn = state.db.begin().await?;
    let tokens = persistence::sessions::of_resident(&txn, account.id).await?;
    let devices = sync_client::Entity::find()
        .filter(sync_client::Column::ResidentId.eq(account.id))
        .all(&txn)
        .await?;
    let held = crate::features::held_by(&txn, account.id).await?;
    txn.commit().await?;
    {
        let _turn = state.write_gate.turn().await;
        let entry = persistence::audit::Entry {
            action: "me.export",
            object: Some(account.id),
            detail: "exported their own data".into(),
        };
        persistence::audit::record(
            &state.db,
            account.community.id,
            account.id,
            &entry,
            Utc::now(),
        )
        .await?;
    }
    let mut sessions: Vec<SessionRecord> = Vec::new();
    let mut families: Vec<Uuid> = Vec::new();
    for t in tokens {
        match families.iter().position(|f| *f == t.family_id) {
            Some(i) => {
                let s = &mut sessions[i];
                s.expires_at = s.expires_at.max(t.expires_at);
                s.ended_at = s.ended_at.or(t.revoked_at);
            }
            None => {
                families.push(t.family_id);
                sessions.push(SessionRecord {
                    started_at: t.created_at,
                    expires_at: t.expires_at,
                    ended_at: t.revoked_at,
                });
            }
        }
    }
    Ok(MyData {
        generated_at: Utc::now(),
        account,
        sessions,
        devices: devices
            .into_iter()
            .map(|d| DeviceRecord {
                client_id: d.client_id,
                first_synced_at: d.created_at,
                last_mutation_id: u64::try_from(d.last_mutation_id).unwrap_or_default(),
            })
            .collect(),
        held,
    })
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
