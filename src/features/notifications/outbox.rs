//! The outbox: [`notify`] writes a notification into each recipient's inbox and a delivery
//! for each channel they chose, inside the transaction of what causes it, so a notification
//! exists exactly when its cause committed. The senders ([`super::delivery`]) take the
//! deliveries from there.
//!
//! A notification's id comes from its cause and its resident
//! ([`rules::notification_id`]): producing it again (a replayed push, two reminder clocks)
//! writes nothing, and a phone that is sent it twice keeps one.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::entity::{notification, notification_delivery, notification_setting, push_subscription};
use super::rules::{self, Channel, Kind, Status};
use super::wire::CantCome;

/// Recipients read and written per statement.
const CHUNK: usize = 300;

/// What happened, as every recipient is told it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: Kind,
    /// The entity it is about, and which.
    pub subject: &'static str,
    pub subject_id: Uuid,
    /// Tells apart two notices about one subject (`confirmed`, `24h`, `resolved`…).
    pub what: String,
    pub title: String,
    pub body: String,
    /// Urgent notices are sent in quiet hours too.
    pub urgent: bool,
    pub cant_come: Option<CantCome>,
}

/// Writes `notice` to each of `recipients` (residents of `community`) not told already, at
/// `version`; returns how many were new.
pub async fn notify(
    conn: &impl ConnectionTrait,
    community: Uuid,
    version: i64,
    now: DateTime<Utc>,
    notice: &Notice,
    recipients: &[Uuid],
) -> Result<usize, DbErr> {
    // Boxed: it is called deep inside mutation handlers, whose futures are nested in the
    // push's; inline, its state would grow every one of them.
    Box::pin(write(conn, community, version, now, notice, recipients)).await
}

async fn write(
    conn: &impl ConnectionTrait,
    community: Uuid,
    version: i64,
    now: DateTime<Utc>,
    notice: &Notice,
    recipients: &[Uuid],
) -> Result<usize, DbErr> {
    let mut written = 0;
    let mut seen = HashSet::new();
    let recipients: Vec<Uuid> = recipients
        .iter()
        .copied()
        .filter(|r| seen.insert(*r))
        .collect();
    for chunk in recipients.chunks(CHUNK) {
        let ids: Vec<(Uuid, Uuid)> = chunk
            .iter()
            .map(|r| {
                (
                    *r,
                    rules::notification_id(notice.subject_id, &notice.what, *r),
                )
            })
            .collect();
        let had: HashSet<Uuid> = notification::Entity::find()
            .filter(notification::Column::Id.is_in(ids.iter().map(|(_, id)| *id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|n| n.id)
            .collect();
        let fresh: Vec<(Uuid, Uuid)> = ids
            .into_iter()
            .filter(|(_, id)| !had.contains(id))
            .collect();
        if fresh.is_empty() {
            continue;
        }
        let who: Vec<Uuid> = fresh.iter().map(|(r, _)| *r).collect();
        let settings: HashMap<Uuid, notification_setting::Model> =
            notification_setting::Entity::find()
                .filter(notification_setting::Column::Id.is_in(who.iter().copied()))
                .all(conn)
                .await?
                .into_iter()
                .map(|s| (s.resident_id, s))
                .collect();
        let subscribed: HashSet<Uuid> = push_subscription::Entity::find()
            .filter(push_subscription::Column::ResidentId.is_in(who.iter().copied()))
            .all(conn)
            .await?
            .into_iter()
            .map(|s| s.resident_id)
            .collect();
        let action = notice
            .cant_come
            .as_ref()
            .map(|c| serde_json::to_string(c).expect("a plain struct serialises"))
            .unwrap_or_default();
        let mut rows = Vec::with_capacity(fresh.len());
        let mut deliveries = Vec::new();
        for (resident, id) in &fresh {
            rows.push(
                notification::Model {
                    id: *id,
                    community_id: community,
                    resident_id: *resident,
                    kind: notice.kind.as_str().to_owned(),
                    title: rules::clip(&notice.title, 80),
                    body: rules::clip(&notice.body, 500),
                    subject: notice.subject.to_owned(),
                    subject_id: Some(notice.subject_id),
                    action: action.clone(),
                    urgent: notice.urgent,
                    read_at: None,
                    version,
                    created_at: now,
                    deleted_at: None,
                }
                .into_active_model(),
            );
            let setting = settings.get(resident);
            let quiet = setting.and_then(|s| rules::quiet(s.quiet_from, s.quiet_to).ok().flatten());
            let at = rules::deliver_at(now, quiet, super::ZONE, notice.urgent);
            let wants = |c: Channel| match c {
                Channel::Push => setting.is_none_or(|s| s.push) && subscribed.contains(resident),
                Channel::Sms => setting.is_some_and(|s| s.sms),
            };
            for channel in Channel::ALL.into_iter().filter(|c| wants(*c)) {
                deliveries.push(
                    notification_delivery::Model {
                        id: Uuid::new_v5(id, channel.as_str().as_bytes()),
                        community_id: community,
                        notification_id: *id,
                        resident_id: *resident,
                        channel: channel.as_str().to_owned(),
                        status: Status::Pending.as_str().to_owned(),
                        attempts: 0,
                        next_attempt_at: at,
                        locked_until: None,
                        last_error: String::new(),
                        created_at: now,
                        sent_at: None,
                    }
                    .into_active_model(),
                );
            }
        }
        written += rows.len();
        notification::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
        if !deliveries.is_empty() {
            notification_delivery::Entity::insert_many(deliveries)
                .exec_without_returning(conn)
                .await?;
        }
    }
    Ok(written)
}
