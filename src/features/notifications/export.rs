//! What notifications hold about a resident: their inbox and settings (their data export);
//! and what goes when their account is deleted: all of it, with the deliveries and the
//! browsers' subscriptions.

use poem_openapi::Object;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::{notification, notification_delivery, notification_setting, push_subscription};
use super::wire::{NotificationData, NotificationSettingData};
use super::{notification_data, setting_change};
use crate::features::Change;
use crate::sync::write::bump_version;

#[derive(Debug, Object)]
pub struct NotificationsData {
    pub inbox: Vec<NotificationData>,
    #[oai(skip_serializing_if_is_none)]
    pub settings: Option<NotificationSettingData>,
    /// How many browsers are subscribed to Web Push.
    pub push_subscriptions: u32,
}

pub async fn held_by(
    conn: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<NotificationsData, DbErr> {
    let inbox = notification::Entity::find()
        .filter(notification::Column::ResidentId.eq(resident))
        .filter(notification::Column::DeletedAt.is_null())
        .order_by_asc(notification::Column::CreatedAt)
        .all(conn)
        .await?
        .iter()
        .filter_map(notification_data)
        .collect();
    let settings = notification_setting::Entity::find_by_id(resident)
        .one(conn)
        .await?
        .and_then(|s| match setting_change(&s) {
            Change::NotificationSetting(c) => c.data,
            _ => None,
        });
    let subs = push_subscription::Entity::find()
        .filter(push_subscription::Column::ResidentId.eq(resident))
        .all(conn)
        .await?
        .len();
    Ok(NotificationsData {
        inbox,
        settings,
        push_subscriptions: u32::try_from(subs).unwrap_or(u32::MAX),
    })
}

/// Deletes `resident`'s inbox, settings, deliveries and subscriptions (the inbox and
/// settings as tombstones, so their phones drop them), at one new version.
pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, DbErr> {
    use sea_orm::sea_query::Expr;
    notification_delivery::Entity::delete_many()
        .filter(notification_delivery::Column::ResidentId.eq(resident))
        .exec(conn)
        .await?;
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::ResidentId.eq(resident))
        .exec(conn)
        .await?;
    let version = bump_version(conn, community).await?;
    let a = notification::Entity::update_many()
        .col_expr(notification::Column::DeletedAt, Expr::value(now))
        .col_expr(notification::Column::Version, Expr::value(version))
        .col_expr(notification::Column::Title, Expr::value(""))
        .col_expr(notification::Column::Body, Expr::value(""))
        .filter(notification::Column::ResidentId.eq(resident))
        .filter(notification::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    let b = notification_setting::Entity::update_many()
        .col_expr(notification_setting::Column::DeletedAt, Expr::value(now))
        .col_expr(notification_setting::Column::Version, Expr::value(version))
        .filter(notification_setting::Column::ResidentId.eq(resident))
        .filter(notification_setting::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    Ok((a.rows_affected + b.rows_affected > 0).then_some(version))
}
