//! # Notifications and reminders
//!
//! News must reach people who do not open the app: a seat that came free, a session called
//! off, a meeting called, a case moved on, an urgent notice, an election opening and
//! closing, and a reminder the day before and two hours before a session or a meeting.
//!
//! **One outbox, written with its cause.** A capability calls [`outbox::notify`] inside the
//! transaction of the mutation that causes the news (a sign-up promoted, a session called
//! off…), so a notification exists exactly when its cause committed: never for a rolled-back
//! push, never missing for a committed one. The reminder clock ([`reminders`]) writes its
//! own the same way. Each notification lands in the resident's **in-app inbox**, a synced
//! table like any other (always on), and gets one delivery row per channel the resident
//! chose ([`rules::Channel`]): **Web Push** to the web app's browsers, and a **webhook** to
//! the SMS or voice gateway for residents without a smartphone.
//!
//! **Delivered at least once.** The senders ([`delivery`]) claim due deliveries, send them
//! and record the outcome; a failure is tried again with a doubling wait, and after
//! [`rules::MAX_ATTEMPTS`] it is dead-lettered (kept, with its last error). Each channel
//! has its own sender, so a dead gateway slows nothing else. A notification's id is
//! derived from its cause, so a phone keeps one per id however often it arrives. Every
//! channel's sent, failed, retried and dead counts are in `/metrics`.
//!
//! **The resident decides.** Channels and quiet hours are theirs
//! (`notifications.configure`): in quiet hours only urgent notices go out; the rest wait in
//! the outbox until the hours end. Turning a channel off stops new deliveries on it; the
//! inbox always has everything.
//!
//! How the pieces fit: [`wire`] (the contract), [`outbox`] (notify), [`delivery`] (the
//! senders, one per channel, behind [`delivery::Sender`]), [`channels`] (Web Push and the
//! webhook), [`reminders`] (the clock), [`rules`] (quiet hours, backoff, reminder windows,
//! words, the signature, as plain functions), [`entity`], [`http`] (the inbox, push
//! subscriptions), [`export`].

pub mod channels;
pub mod delivery;
pub mod entity;
pub mod export;
pub mod http;
pub mod outbox;
pub mod reminders;
pub mod rules;
pub mod wire;

use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};

use crate::features::deliberation::not_found;
use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use crate::sync::wire::ChangeOp;
use crate::sync::write::bump_version;
use entity::{notification, notification_setting};
pub use outbox::{Notice, notify};
use wire::*;

/// How this server sends beyond the inbox.
#[derive(Debug, Clone)]
pub struct Config {
    /// Web Push, when a VAPID key is configured.
    pub vapid: Option<channels::Vapid>,
    /// The SMS or voice gateway's webhook: (URL, shared secret), when configured.
    pub webhook: Option<(String, String)>,
    /// Messages per webhook call.
    pub webhook_batch: usize,
    /// How long a webhook call may take before it counts as failed.
    pub webhook_timeout: std::time::Duration,
    /// How often the senders look for due deliveries.
    pub poll: std::time::Duration,
    /// How often the reminder clock looks ahead.
    pub reminder_every: std::time::Duration,
    /// Accept `http://` push endpoints (tests; browsers' push services are all https).
    pub allow_plain_http: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            vapid: None,
            webhook: None,
            webhook_batch: 50,
            webhook_timeout: std::time::Duration::from_secs(10),
            poll: std::time::Duration::from_millis(500),
            reminder_every: std::time::Duration::from_secs(60),
            allow_plain_http: false,
        }
    }
}

/// Starts the senders (one per configured channel) and the reminder clock.
pub fn start(state: &crate::http::AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let config = state.notifications.clone();
    let mut tasks = vec![reminders::keep_time(state.clone(), config.reminder_every)];
    let client = |timeout| {
        reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .expect("an HTTP client with a timeout builds")
    };
    if let Some(vapid) = &config.vapid {
        let sender = std::sync::Arc::new(channels::WebPush {
            vapid: vapid.clone(),
            client: client(std::time::Duration::from_secs(10)),
            db: state.core.db.clone(),
        });
        tasks.push(delivery::keep_sending(state.clone(), sender, config.poll));
    }
    if let Some((url, secret)) = &config.webhook {
        let sender = std::sync::Arc::new(channels::Webhook {
            url: url.clone(),
            secret: secret.clone(),
            batch: config.webhook_batch,
            client: client(config.webhook_timeout),
        });
        tasks.push(delivery::keep_sending(state.clone(), sender, config.poll));
    }
    tasks
}

/// The community's clock for quiet hours and reminders' words: Sun Village is in China.
pub const ZONE: Tz = chrono_tz::Asia::Shanghai;

/// Feed order within one version, after talents'.
pub mod rank {
    pub const NOTIFICATION: u8 = 57;
    pub const SETTING: u8 = 58;
}

/// Notifications' synced tables: each resident's own.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<notification::Entity, A>::new(
            "notification",
            rank::NOTIFICATION,
            Audience::Personal {
                owner: "resident_id",
                over: &[],
            },
            Encode::Each(notification_change),
            |id| Change::Notification(NotificationChange::gone(id)),
        )),
        Box::new(Table::<notification_setting::Entity, A>::new(
            "notification_setting",
            rank::SETTING,
            Audience::Personal {
                owner: "resident_id",
                over: &[],
            },
            Encode::Each(setting_change),
            |id| Change::NotificationSetting(NotificationSettingChange::gone(id)),
        )),
    ]
}

pub fn notification_data(n: &notification::Model) -> Option<NotificationData> {
    let kind = rules::Kind::parse(&n.kind)?;
    n.deleted_at.is_none().then(|| NotificationData {
        id: n.id,
        kind,
        title: n.title.clone(),
        body: n.body.clone(),
        subject: n.subject.clone(),
        subject_id: n.subject_id,
        cant_come: serde_json::from_str(&n.action).ok(),
        urgent: n.urgent,
        read_at: n.read_at,
        created_at: n.created_at,
    })
}

pub fn notification_change(n: &notification::Model) -> Change {
    let data = notification_data(n);
    Change::Notification(NotificationChange {
        id: n.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

pub fn setting_change(s: &notification_setting::Model) -> Change {
    let data = s.deleted_at.is_none().then_some(NotificationSettingData {
        id: s.id,
        push: s.push,
        sms: s.sms,
        quiet_from: s.quiet_from,
        quiet_to: s.quiet_to,
    });
    Change::NotificationSetting(NotificationSettingChange {
        id: s.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

/// `notification.read`: the caller's own, unread ones become read.
pub async fn read(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &NotificationReadArgs,
) -> Result<Outcome, DbErr> {
    let mine: Vec<notification::Model> = notification::Entity::find()
        .filter(notification::Column::Id.is_in(a.notification_ids.iter().copied()))
        .filter(notification::Column::ResidentId.eq(ctx.actor.resident_id))
        .filter(notification::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    if mine.is_empty() {
        return Ok(not_found("no such notification"));
    }
    let unread: Vec<notification::Model> =
        mine.into_iter().filter(|n| n.read_at.is_none()).collect();
    if unread.is_empty() {
        return Ok(Outcome::applied(None, None));
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let mut last = None;
    for n in unread {
        let mut m = n.into_active_model();
        m.read_at = Set(Some(ctx.now));
        m.version = Set(version);
        last = Some(m.update(conn).await?);
    }
    Ok(Outcome::applied(
        last.as_ref().map(notification_change),
        Some(version),
    ))
}

/// `notifications.configure`: the caller's channels and quiet hours.
pub async fn configure(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &NotificationsConfigureArgs,
) -> Result<Outcome, DbErr> {
    if let Err(e) = rules::quiet(a.quiet_from, a.quiet_to) {
        return Ok(Outcome::invalid(e));
    }
    let me = ctx.actor.resident_id;
    let had = notification_setting::Entity::find_by_id(me)
        .one(conn)
        .await?;
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let row = notification_setting::Model {
        id: me,
        community_id: ctx.actor.community_id,
        resident_id: me,
        push: a.push,
        sms: a.sms,
        quiet_from: a.quiet_from,
        quiet_to: a.quiet_to,
        version,
        created_at: had.as_ref().map_or(ctx.now, |h| h.created_at),
        deleted_at: None,
    };
    if had.is_some() {
        row.clone()
            .into_active_model()
            .reset_all()
            .update(conn)
            .await?;
    } else {
        notification_setting::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(conn)
            .await?;
    }
    // What waits on a channel turned off does not go.
    for (channel, on) in [(rules::Channel::Push, a.push), (rules::Channel::Sms, a.sms)] {
        if !on {
            use sea_orm::sea_query::Expr;
            entity::notification_delivery::Entity::update_many()
                .col_expr(
                    entity::notification_delivery::Column::Status,
                    Expr::value(rules::Status::Dead.as_str()),
                )
                .col_expr(
                    entity::notification_delivery::Column::LastError,
                    Expr::value("the resident turned this channel off"),
                )
                .filter(entity::notification_delivery::Column::ResidentId.eq(me))
                .filter(entity::notification_delivery::Column::Channel.eq(channel.as_str()))
                .filter(
                    entity::notification_delivery::Column::Status
                        .eq(rules::Status::Pending.as_str()),
                )
                .exec(conn)
                .await?;
        }
    }
    Ok(Outcome::applied(Some(setting_change(&row)), Some(version)))
}

handlers! {
    NotificationReadMutation = "notification.read" => read;
    NotificationsConfigureMutation = "notifications.configure" => configure;
}
