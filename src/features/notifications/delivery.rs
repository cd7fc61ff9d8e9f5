//! The senders: one loop per channel takes due deliveries from the outbox, hands them to its
//! [`Sender`] and records what happened.
//!
//! **Claiming.** A loop marks a batch of due deliveries as its own until a lease ends
//! (`locked_until`, a moment only this claim wrote), then reads back what it got: several
//! server processes may send, and each delivery goes to one at a time. A process killed
//! mid-send leaves its claims to expire; they are sent again (at least once: the receiving
//! app keeps one per notification id).
//!
//! **Outcomes.** Sent: done. A failure worth retrying waits [`rules::backoff`] and is tried
//! again, up to [`rules::MAX_ATTEMPTS`]; then, or at once for a refusal that will not change
//! (a subscription the browser dropped), it is dead: kept with its last error, counted, not
//! tried again. Each channel's loop is its own task, so a gateway that hangs until its
//! timeout slows only its own deliveries.
//!
//! `/metrics`: `notifications_deliveries_total{channel, outcome}` with outcome `sent`,
//! `failed` (an attempt that failed), `retried` (a failed one scheduled again) and `dead`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Condition, Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::entity::{notification, notification_delivery, push_subscription};
use super::rules::{self, Channel, Status};
use crate::entity::resident;
use crate::http::AppState;

/// One delivery to send, with what it needs.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub delivery: notification_delivery::Model,
    pub notification: notification::Model,
    pub name: String,
    pub phone: String,
    /// The resident's browsers (Web Push).
    pub subscriptions: Vec<push_subscription::Model>,
}

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Ok,
    /// Try again later.
    Retry(String),
    /// Will not succeed: dead-letter it now.
    Dead(String),
}

/// A channel's way of sending.
pub trait Sender: Send + Sync + 'static {
    fn channel(&self) -> Channel;
    /// Deliveries handed over at once.
    fn batch(&self) -> usize;
    /// Sends `batch`; one outcome per delivery, in order.
    fn send<'a>(&'a self, batch: &'a [Outgoing]) -> BoxFuture<'a, Vec<Sent>>;
}

/// How long a claim holds.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);

/// Runs `sender`'s loop until aborted: looks every `every` (and at once after a full
/// batch).
pub fn keep_sending(state: AppState, sender: Arc<dyn Sender>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match step(&state, sender.as_ref()).await {
                Ok(n) if n >= sender.batch() => continue,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(channel = sender.channel().as_str(), error = %e, "the outbox could not be read; retrying");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = state.sync.clock.moved() => {}
            }
        }
    })
}

/// Claims, sends and settles one batch; returns how many were sent or settled.
pub async fn step(state: &AppState, sender: &dyn Sender) -> Result<usize, DbErr> {
    let now = state.sync.clock.wall();
    let claimed = claim(state, sender, now).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let outgoing = gather(state, claimed).await?;
    let mut outcomes = Vec::with_capacity(outgoing.len());
    for chunk in outgoing.chunks(sender.batch().max(1)) {
        let sent = sender.send(chunk).await;
        debug_assert_eq!(sent.len(), chunk.len());
        outcomes.extend(chunk.iter().zip(sent).map(|(o, s)| (o.delivery.clone(), s)));
    }
    let n = outcomes.len();
    settle(state, sender.channel(), outcomes, state.sync.clock.wall()).await?;
    Ok(n)
}

async fn claim(
    state: &AppState,
    sender: &dyn Sender,
    now: DateTime<Utc>,
) -> Result<Vec<notification_delivery::Model>, DbErr> {
    use notification_delivery::Column as C;
    let db = &state.core.db;
    let free = || {
        Condition::any()
            .add(C::LockedUntil.is_null())
            .add(C::LockedUntil.lt(now))
    };
    let due: Vec<Uuid> = notification_delivery::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::Channel.eq(sender.channel().as_str()))
        .filter(C::Status.eq(Status::Pending.as_str()))
        .filter(C::NextAttemptAt.lte(now))
        .filter(free())
        .order_by_asc(C::NextAttemptAt)
        .limit(u64::try_from(sender.batch() * 4).unwrap_or(200))
        .into_tuple()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(vec![]);
    }
    // A moment no other claim wrote: what reads back with it is this claim's.
    let lease =
        now + LEASE + chrono::Duration::microseconds(i64::from(rand::random::<u32>() % 1_000_000));
    {
        let _turn = state.core.write_gate.turn().await;
        notification_delivery::Entity::update_many()
            .col_expr(C::LockedUntil, Expr::value(lease))
            .filter(C::Id.is_in(due.iter().copied()))
            .filter(C::Status.eq(Status::Pending.as_str()))
            .filter(free())
            .exec(db)
            .await?;
    }
    notification_delivery::Entity::find()
        .filter(C::Id.is_in(due))
        .filter(C::LockedUntil.eq(lease))
        .all(db)
        .await
}

/// Reads each delivery's notification, resident and browsers, one query each.
async fn gather(
    state: &AppState,
    claimed: Vec<notification_delivery::Model>,
) -> Result<Vec<Outgoing>, DbErr> {
    let db = &state.core.db;
    let notes: HashMap<Uuid, notification::Model> = notification::Entity::find()
        .filter(notification::Column::Id.is_in(claimed.iter().map(|d| d.notification_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let people: HashMap<Uuid, resident::Model> = resident::Entity::find()
        .filter(resident::Column::Id.is_in(claimed.iter().map(|d| d.resident_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut subs: HashMap<Uuid, Vec<push_subscription::Model>> = HashMap::new();
    for s in push_subscription::Entity::find()
        .filter(push_subscription::Column::ResidentId.is_in(claimed.iter().map(|d| d.resident_id)))
        .all(db)
        .await?
    {
        subs.entry(s.resident_id).or_default().push(s);
    }
    Ok(claimed
        .into_iter()
        .filter_map(|d| {
            let n = notes.get(&d.notification_id)?.clone();
            let r = people.get(&d.resident_id);
            Some(Outgoing {
                name: r.map(|r| r.display_name.clone()).unwrap_or_default(),
                phone: r.map(|r| r.phone.clone()).unwrap_or_default(),
                subscriptions: subs.get(&d.resident_id).cloned().unwrap_or_default(),
                notification: n,
                delivery: d,
            })
        })
        .collect())
}

async fn settle(
    state: &AppState,
    channel: Channel,
    outcomes: Vec<(notification_delivery::Model, Sent)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use notification_delivery::Column as C;
    let c = channel.as_str();
    let db = &state.core.db;
    let _turn = state.core.write_gate.turn().await;
    let sent: Vec<Uuid> = outcomes
        .iter()
        .filter(|(_, s)| *s == Sent::Ok)
        .map(|(d, _)| d.id)
        .collect();
    if !sent.is_empty() {
        metrics::counter!("notifications_deliveries_total", "channel" => c, "outcome" => "sent")
            .increment(sent.len() as u64);
        notification_delivery::Entity::update_many()
            .col_expr(C::Status, Expr::value(Status::Sent.as_str()))
            .col_expr(C::SentAt, Expr::value(now))
            .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
            .col_expr(C::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(C::Id.is_in(sent))
            .exec(db)
            .await?;
    }
    for (d, outcome) in outcomes {
        let (why, retry) = match outcome {
            Sent::Ok => continue,
            Sent::Retry(why) => (why, true),
            Sent::Dead(why) => (why, false),
        };
        metrics::counter!("notifications_deliveries_total", "channel" => c, "outcome" => "failed")
            .increment(1);
        let attempts = d.attempts + 1;
        let mut m = d.into_active_model();
        m.attempts = Set(attempts);
        m.last_error = Set(rules::clip(&why, 200));
        m.locked_until = Set(None);
        if retry && attempts < rules::MAX_ATTEMPTS {
            metrics::counter!("notifications_deliveries_total", "channel" => c, "outcome" => "retried")
                .increment(1);
            m.next_attempt_at = Set(now + rules::backoff(attempts));
        } else {
            metrics::counter!("notifications_deliveries_total", "channel" => c, "outcome" => "dead")
                .increment(1);
            tracing::warn!(channel = c, attempts, error = %why, "a notification's delivery is dead-lettered");
            m.status = Set(Status::Dead.as_str().to_owned());
        }
        m.update(db).await?;
    }
    Ok(())
}
