//! Reads and writes of notifications over REST: the inbox (the same rows the sync feed
//! sends), the server's VAPID key, and a browser's push subscription (a browser's, not an
//! offline edit, so it is REST and not a mutation).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use sea_orm::{
    ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    sea_query::OnConflict,
};
use uuid::Uuid;

use super::entity::{notification, push_subscription};
use super::notification_data;
use super::wire::NotificationData;
use crate::auth::bearer::BearerAuth;
use crate::domain::FieldError;
use crate::http::AppState;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

#[derive(Tags)]
pub enum NotificationsTags {
    /// Notifications: the in-app inbox and Web Push subscriptions.
    Notifications,
}

pub struct NotificationsApi;

/// The server's VAPID public key, for `PushManager.subscribe`.
#[derive(Debug, Object)]
pub struct PushKey {
    /// `applicationServerKey`: the uncompressed P-256 point, base64url.
    pub public_key: String,
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Object)]
pub struct PushSubscriptionArgs {
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub endpoint: String,
    pub keys: PushKeys,
}

#[derive(Debug, Object)]
pub struct PushKeys {
    /// The browser's P-256 public key, base64url.
    #[oai(validator(max_length = 120))]
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    #[oai(validator(max_length = 40))]
    pub auth: String,
}

#[derive(Debug, Object)]
pub struct PushSubscriptionView {
    /// Remove it with `DELETE /api/v1/me/push-subscriptions/{id}`.
    pub id: Uuid,
    pub endpoint: String,
}

#[derive(ApiResponse)]
pub enum Removed {
    /// Removed (or there was none).
    #[oai(status = 204)]
    NoContent,
}

#[OpenApi(prefix_path = "/api/v1", tag = "NotificationsTags::Notifications")]
impl NotificationsApi {
    /// My notifications
    ///
    /// The caller's inbox, newest first: at most `limit` (50 by default); `unread` for the
    /// unread ones only. The same notifications the sync feed sends.
    #[oai(
        path = "/notifications",
        method = "get",
        operation_id = "listNotifications"
    )]
    async fn inbox(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        unread: Query<Option<bool>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))] limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<NotificationData>>, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let mut q = notification::Entity::find()
            .filter(notification::Column::ResidentId.eq(actor.resident_id))
            .filter(notification::Column::DeletedAt.is_null());
        if unread.0 == Some(true) {
            q = q.filter(notification::Column::ReadAt.is_null());
        }
        Ok(Json(
            q.order_by_desc(notification::Column::CreatedAt)
                .order_by_desc(notification::Column::Id)
                .limit(limit.0.unwrap_or(50))
                .all(&state.db)
                .await?
                .iter()
                .filter_map(notification_data)
                .collect(),
        ))
    }

    /// The server's Web Push key
    ///
    /// 404 when this server sends no Web Push (no VAPID key is configured).
    #[oai(path = "/push/key", method = "get", operation_id = "getPushKey")]
    async fn key(
        &self,
        state: Data<&AppState>,
    ) -> ApiResult<Json<PushKey>, { ALWAYS | NOT_FOUND }> {
        let vapid = state
            .notifications
            .vapid
            .as_ref()
            .ok_or(ApiError::NotFound("Web Push on this server"))?;
        Ok(Json(PushKey {
            public_key: vapid.public_key.clone(),
        }))
    }

    /// Subscribe this browser to Web Push
    ///
    /// The browser's `PushSubscription` (its JSON): notifications that the caller has not
    /// turned push off for are sent to it. The same endpoint again is one subscription.
    #[oai(
        path = "/me/push-subscriptions",
        method = "post",
        operation_id = "subscribePush"
    )]
    async fn subscribe(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<PushSubscriptionArgs>,
    ) -> ApiResult<Json<PushSubscriptionView>, { SIGNED_IN | BODY | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        if state.notifications.vapid.is_none() {
            return Err(ApiError::NotFound("Web Push on this server").into());
        }
        let endpoint = body.0.endpoint.trim().to_owned();
        let plain_ok = state.notifications.allow_plain_http;
        if !(endpoint.starts_with("https://") || (plain_ok && endpoint.starts_with("http://")))
            || endpoint.parse::<http::Uri>().is_err()
        {
            return Err(ApiError::Validation(FieldError::new(
                "endpoint",
                "a push service's https:// address",
            ))
            .into());
        }
        let point = B64.decode(&body.0.keys.p256dh).ok();
        if point.is_none_or(|p| p256::PublicKey::from_sec1_bytes(&p).is_err()) {
            return Err(ApiError::Validation(FieldError::new(
                "keys.p256dh",
                "the browser's P-256 public key, base64url",
            ))
            .into());
        }
        if B64
            .decode(&body.0.keys.auth)
            .ok()
            .is_none_or(|a| a.len() != 16)
        {
            return Err(ApiError::Validation(FieldError::new(
                "keys.auth",
                "the browser's 16-byte auth secret, base64url",
            ))
            .into());
        }
        let id = Uuid::new_v5(&Uuid::NAMESPACE_URL, endpoint.as_bytes());
        let row = push_subscription::Model {
            id,
            community_id: actor.community_id,
            resident_id: actor.resident_id,
            endpoint: endpoint.clone(),
            p256dh: body.0.keys.p256dh.clone(),
            auth: body.0.keys.auth.clone(),
            created_at: state.sync.clock.wall(),
        };
        let _turn = state.write_gate.turn().await;
        // The browser may have belonged to someone else who signed out: it is the caller's now.
        push_subscription::Entity::insert(row.into_active_model())
            .on_conflict(
                OnConflict::column(push_subscription::Column::Id)
                    .update_columns([
                        push_subscription::Column::CommunityId,
                        push_subscription::Column::ResidentId,
                        push_subscription::Column::P256dh,
                        push_subscription::Column::Auth,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&state.db)
            .await?;
        Ok(Json(PushSubscriptionView { id, endpoint }))
    }

    /// Unsubscribe a browser
    ///
    /// One of the caller's own (on sign-out, or when the browser's subscription changed).
    #[oai(
        path = "/me/push-subscriptions/:id",
        method = "delete",
        operation_id = "unsubscribePush"
    )]
    async fn unsubscribe(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Removed, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let _turn = state.write_gate.turn().await;
        push_subscription::Entity::delete_many()
            .filter(push_subscription::Column::Id.eq(id.0))
            .filter(push_subscription::Column::ResidentId.eq(actor.resident_id))
            .exec(&state.db)
            .await?;
        Ok(Removed::NoContent)
    }
}
