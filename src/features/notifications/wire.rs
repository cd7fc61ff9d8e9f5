//! Notifications' wire types: marking notifications read and choosing channels and quiet
//! hours; a notification and one's settings as phones see them.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use super::rules::Kind;
use crate::{change, mutation};

mutation!(
    /// Mark notifications read (one's own; marking one again changes nothing).
    NotificationReadMutation(NotificationReadArgs)
);

#[derive(Debug, Clone, Object)]
pub struct NotificationReadArgs {
    /// 1 to 200 of one's notifications.
    #[oai(validator(min_items = 1, max_items = 200))]
    pub notification_ids: Vec<Uuid>,
}

mutation!(
    /// Choose how one is told beside the in-app inbox (always on): Web Push to the web app
    /// (on by default, once a browser subscribed), and a text or call through the SMS
    /// gateway (off by default); and quiet hours, in which nothing but urgent notices is
    /// sent (they wait in the outbox until the quiet hours end; the inbox has them at once).
    NotificationsConfigureMutation(NotificationsConfigureArgs)
);

#[derive(Debug, Clone, Object)]
pub struct NotificationsConfigureArgs {
    pub push: bool,
    pub sms: bool,
    /// Quiet from this minute of the day (local time; 1320 is 22:00), with `quiet_to`.
    #[oai(validator(minimum(value = "0"), maximum(value = "1439")))]
    pub quiet_from: Option<i32>,
    /// Quiet until this minute of the day (420 is 07:00); before `quiet_from` wraps midnight.
    #[oai(validator(minimum(value = "0"), maximum(value = "1439")))]
    pub quiet_to: Option<i32>,
}

/// The session a reminder is about, to answer "can't come" in one step: push
/// `signup.cancel` with these.
#[derive(Debug, Clone, PartialEq, Object, serde::Serialize, serde::Deserialize)]
pub struct CantCome {
    pub occurrence_id: Uuid,
    pub series_id: Uuid,
    pub original_start: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct NotificationData {
    pub id: Uuid,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// What it is about: `occurrence`, `meeting`, `case`, `announcement` or `election`.
    pub subject: String,
    #[oai(skip_serializing_if_is_none)]
    pub subject_id: Option<Uuid>,
    /// On a session's reminder: the one step that says "can't come".
    #[oai(skip_serializing_if_is_none)]
    pub cant_come: Option<CantCome>,
    pub urgent: bool,
    #[oai(skip_serializing_if_is_none)]
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

change!(
    /// A notification in the caller's inbox (delivered at least once: keep one per id).
    NotificationChange(NotificationData)
);

#[derive(Debug, Clone, PartialEq, Object)]
pub struct NotificationSettingData {
    pub id: Uuid,
    pub push: bool,
    pub sms: bool,
    #[oai(skip_serializing_if_is_none)]
    #[oai(validator(minimum(value = "0"), maximum(value = "1439")))]
    pub quiet_from: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    #[oai(validator(minimum(value = "0"), maximum(value = "1439")))]
    pub quiet_to: Option<i32>,
}

change!(
    /// The caller's channels and quiet hours.
    NotificationSettingChange(NotificationSettingData)
);
