//! The reminder clock: a day and two hours before each confirmed sign-up's session and each
//! meeting one is invited to (and has not declined), it writes a reminder into the outbox:
//! when, where, and whom to call; a session's offers "can't come" in one step.
//!
//! Each look covers the start times from where the last look reached up to now plus the
//! lead ([`rules::window`], kept in `reminder_watermark`), so looks at any moments cover
//! every start once, and a server that was down reminds late rather than never. A session
//! moved by an override is reminded by its new start. Reminders' ids come from the session
//! and lead ([`rules::notification_id`]), so two clocks (two server processes, or a look
//! retried after a crash) write each one once.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::entity::reminder_watermark;
use super::outbox::{Notice, notify};
use super::rules::{self, Kind, Lead};
use super::wire::CantCome;
use crate::entity::resident;
use crate::features::deliberation::entity::meeting_invitation;
use crate::features::schedule::entity::{occurrence_override, series, signup, volunteer_group};
use crate::http::AppState;
use crate::sync::write::{self, bump_version};

/// A sign-up that holds its seat.
const CONFIRMED: &str = "confirmed";

/// Reminders written per transaction.
const PER_COMMIT: usize = 2_000;

/// One reminder to write: its words and who gets it.
struct Due {
    community: Uuid,
    notice: Notice,
    recipients: Vec<Uuid>,
}

/// Runs the clock until aborted: looks every `every`, and at once when the server's clock
/// is set ahead (the tests' way of passing time).
pub fn keep_time(state: AppState, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = step(&state).await {
                tracing::warn!(error = %e, "the reminder clock could not look ahead; retrying");
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = state.sync.clock.moved() => {}
            }
        }
    })
}

/// One look: writes every reminder now due; returns how many were written.
pub async fn step(state: &AppState) -> Result<usize, DbErr> {
    let now = state.sync.clock.wall();
    let mut written = 0;
    for lead in Lead::ALL {
        let mark = Uuid::new_v5(&Uuid::NAMESPACE_OID, lead.as_str().as_bytes());
        let had = reminder_watermark::Entity::find_by_id(mark)
            .one(&state.core.db)
            .await?;
        let (from, to) = rules::window(lead, had.as_ref().map(|h| h.until), now);
        if from < to {
            // A session at a time: a busy day's 100,000 sign-ups are never all in memory.
            for occurrence in sessions(state, from, to).await? {
                if let Some(due) = session(state, lead, occurrence, (from, to), now).await? {
                    written += write(state, vec![due], now).await?;
                }
            }
            written += write(state, meetings(state, lead, from, to, now).await?, now).await?;
        }
        let _turn = state.core.write_gate.turn().await;
        match had {
            Some(h) => {
                let mut m = h.into_active_model();
                m.until = Set(to);
                m.update(&state.core.db).await?;
            }
            None => {
                reminder_watermark::Entity::insert(
                    reminder_watermark::Model {
                        id: mark,
                        lead_minutes: i32::try_from(lead.minutes()).unwrap_or(0),
                        until: to,
                    }
                    .into_active_model(),
                )
                .exec_without_returning(&state.core.db)
                .await?;
            }
        }
    }
    Ok(written)
}

/// Writes the reminders, each community's in transactions of at most [`PER_COMMIT`].
async fn write(state: &AppState, due: Vec<Due>, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let mut by_community: HashMap<Uuid, Vec<Due>> = HashMap::new();
    for d in due {
        by_community.entry(d.community).or_default().push(d);
    }
    let mut written = 0;
    for (community, dues) in by_community {
        let mut batch: Vec<Due> = Vec::new();
        let mut size = 0;
        let mut rest = dues.into_iter().peekable();
        while let Some(d) = rest.next() {
            size += d.recipients.len();
            batch.push(d);
            if size < PER_COMMIT && rest.peek().is_some() {
                continue;
            }
            let _turn = state.core.write_gate.turn().await;
            let txn = write::begin(&state.core.db).await?;
            write::lock(&txn, community).await?;
            let version = bump_version(&txn, community).await?;
            let mut here = 0;
            for d in batch.drain(..) {
                here += notify(&txn, community, version, now, &d.notice, &d.recipients).await?;
            }
            txn.commit().await?;
            size = 0;
            if here > 0 {
                state.sync.poker.committed(community, version);
                written += here;
            }
        }
    }
    Ok(written)
}

/// The sessions with confirmed sign-ups that may start in `(from, to]`: planned there, or
/// moved there.
async fn sessions(
    state: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeSet<Uuid>, DbErr> {
    let db = &state.core.db;
    let mut found: BTreeSet<Uuid> = signup::Entity::find()
        .select_only()
        .column(signup::Column::OccurrenceId)
        .distinct()
        .filter(signup::Column::OriginalStart.gt(from))
        .filter(signup::Column::OriginalStart.lte(to))
        .filter(signup::Column::Status.eq(CONFIRMED))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    found.extend(
        occurrence_override::Entity::find()
            .select_only()
            .column(occurrence_override::Column::Id)
            .filter(occurrence_override::Column::StartsAt.gt(from))
            .filter(occurrence_override::Column::StartsAt.lte(to))
            .filter(occurrence_override::Column::DeletedAt.is_null())
            .into_tuple::<Uuid>()
            .all(db)
            .await?,
    );
    Ok(found)
}

/// One session's reminder for `lead`, to its confirmed volunteers it is due for, if it
/// starts in `(from, to]` after any move and is not called off. Reads the session alone, so
/// a busy day is written a session at a time.
async fn session(
    state: &AppState,
    lead: Lead,
    occurrence: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> Result<Option<Due>, DbErr> {
    let db = &state.core.db;
    let over = occurrence_override::Entity::find_by_id(occurrence)
        .one(db)
        .await?
        .filter(|o| o.deleted_at.is_none());
    if over.as_ref().is_some_and(|o| o.cancelled) {
        return Ok(None);
    }
    let signups: Vec<signup::Model> = signup::Entity::find()
        .filter(signup::Column::OccurrenceId.eq(occurrence))
        .filter(signup::Column::Status.eq(CONFIRMED))
        .all(db)
        .await?;
    let Some(first) = signups.first() else {
        return Ok(None);
    };
    let start = over
        .as_ref()
        .and_then(|o| o.starts_at)
        .unwrap_or(first.original_start);
    if !(from < start && start <= to) {
        return Ok(None);
    }
    let Some(sr) = series::Entity::find_by_id(first.series_id)
        .one(db)
        .await?
        .filter(|x| x.deleted_at.is_none())
    else {
        return Ok(None);
    };
    let group = volunteer_group::Entity::find_by_id(sr.group_id)
        .one(db)
        .await?;
    let contact = match group.as_ref().and_then(|g| g.contact_leader_id) {
        Some(id) => resident::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|r| r.deleted_at.is_none()),
        None => None,
    };
    let place = over
        .as_ref()
        .and_then(|o| o.location.clone())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| {
            if sr.location.is_empty() {
                group.as_ref().map_or_else(String::new, |g| g.venue.clone())
            } else {
                sr.location.clone()
            }
        });
    let (title, body) = rules::reminder_text(
        lead,
        &sr.title,
        start,
        super::ZONE,
        &place,
        contact
            .as_ref()
            .map(|r| (r.display_name.as_str(), r.phone.as_str())),
    );
    let recipients: Vec<Uuid> = signups
        .iter()
        .filter(|s| rules::reminder_due(lead, start, s.updated_at, now))
        .map(|s| s.resident_id)
        .collect();
    if recipients.is_empty() {
        return Ok(None);
    }
    Ok(Some(Due {
        community: first.community_id,
        notice: Notice {
            kind: Kind::Reminder,
            subject: "occurrence",
            subject_id: occurrence,
            what: format!("reminder-{}", lead.as_str()),
            title,
            body,
            urgent: false,
            cant_come: Some(CantCome {
                occurrence_id: occurrence,
                series_id: first.series_id,
                original_start: first.original_start,
            }),
        },
        recipients,
    }))
}

/// Invitations (not declined) to meetings starting in `(from, to]`.
async fn meetings(
    state: &AppState,
    lead: Lead,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Due>, DbErr> {
    let invited: Vec<meeting_invitation::Model> = meeting_invitation::Entity::find()
        .filter(meeting_invitation::Column::StartsAt.gt(from))
        .filter(meeting_invitation::Column::StartsAt.lte(to))
        .filter(meeting_invitation::Column::DeletedAt.is_null())
        .all(&state.core.db)
        .await?;
    let mut by_meeting: HashMap<Uuid, Due> = HashMap::new();
    for i in invited {
        if i.answer == "not_attending"
            || matches!(i.state.as_str(), "closed" | "cancelled")
            || !rules::reminder_due(lead, i.starts_at, i.created_at, now)
        {
            continue;
        }
        by_meeting
            .entry(i.meeting_id)
            .or_insert_with(|| {
                let (title, body) =
                    rules::reminder_text(lead, &i.title, i.starts_at, super::ZONE, &i.place, None);
                Due {
                    community: i.community_id,
                    notice: Notice {
                        kind: Kind::Reminder,
                        subject: "meeting",
                        subject_id: i.meeting_id,
                        what: format!("reminder-{}", lead.as_str()),
                        title,
                        body,
                        urgent: false,
                        cant_come: None,
                    },
                    recipients: vec![],
                }
            })
            .recipients
            .push(i.resident_id);
    }
    Ok(by_meeting.into_values().collect())
}
