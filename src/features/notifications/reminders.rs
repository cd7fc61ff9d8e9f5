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

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Set,
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
            let mut due = sessions(state, lead, from, to, now).await?;
            due.extend(meetings(state, lead, from, to, now).await?);
            written += write(state, due, now).await?;
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

/// Confirmed sign-ups of sessions starting in `(from, to]`, by their start after any move.
async fn sessions(
    state: &AppState,
    lead: Lead,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Due>, DbErr> {
    let db = &state.core.db;
    let confirmed = "confirmed";
    // Sessions moved into the window, and sign-ups whose planned start is in it.
    let moved_in: Vec<occurrence_override::Model> = occurrence_override::Entity::find()
        .filter(occurrence_override::Column::StartsAt.gt(from))
        .filter(occurrence_override::Column::StartsAt.lte(to))
        .filter(occurrence_override::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let mut signups: Vec<signup::Model> = signup::Entity::find()
        .filter(signup::Column::OriginalStart.gt(from))
        .filter(signup::Column::OriginalStart.lte(to))
        .filter(signup::Column::Status.eq(confirmed))
        .all(db)
        .await?;
    if !moved_in.is_empty() {
        signups.extend(
            signup::Entity::find()
                .filter(signup::Column::OccurrenceId.is_in(moved_in.iter().map(|o| o.id)))
                .filter(signup::Column::Status.eq(confirmed))
                .all(db)
                .await?,
        );
    }
    if signups.is_empty() {
        return Ok(vec![]);
    }
    let overrides: HashMap<Uuid, occurrence_override::Model> = occurrence_override::Entity::find()
        .filter(occurrence_override::Column::Id.is_in(signups.iter().map(|s| s.occurrence_id)))
        .filter(occurrence_override::Column::DeletedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let series: HashMap<Uuid, series::Model> = series::Entity::find()
        .filter(series::Column::Id.is_in(signups.iter().map(|s| s.series_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let groups: HashMap<Uuid, volunteer_group::Model> = volunteer_group::Entity::find()
        .filter(volunteer_group::Column::Id.is_in(series.values().map(|s| s.group_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let contacts: HashMap<Uuid, resident::Model> = resident::Entity::find()
        .filter(resident::Column::Id.is_in(groups.values().filter_map(|g| g.contact_leader_id)))
        .filter(resident::Column::DeletedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    // One reminder per session, to each of its confirmed volunteers.
    let mut by_occurrence: HashMap<Uuid, (Due, ())> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for s in signups {
        if !seen.insert(s.id) {
            continue;
        }
        let over = overrides.get(&s.occurrence_id);
        if over.is_some_and(|o| o.cancelled) {
            continue;
        }
        let start = over.and_then(|o| o.starts_at).unwrap_or(s.original_start);
        if !(from < start && start <= to && rules::reminder_due(lead, start, s.updated_at, now)) {
            continue;
        }
        let Some(sr) = series.get(&s.series_id).filter(|x| x.deleted_at.is_none()) else {
            continue;
        };
        let entry = by_occurrence.entry(s.occurrence_id).or_insert_with(|| {
            let group = groups.get(&sr.group_id);
            let contact = group
                .and_then(|g| g.contact_leader_id)
                .and_then(|id| contacts.get(&id))
                .map(|r| (r.display_name.as_str(), r.phone.as_str()));
            let place = over
                .and_then(|o| o.location.as_deref())
                .filter(|l| !l.is_empty())
                .unwrap_or(if sr.location.is_empty() {
                    group.map_or("", |g| g.venue.as_str())
                } else {
                    sr.location.as_str()
                });
            let (title, body) =
                rules::reminder_text(lead, &sr.title, start, super::ZONE, place, contact);
            (
                Due {
                    community: s.community_id,
                    notice: Notice {
                        kind: Kind::Reminder,
                        subject: "occurrence",
                        subject_id: s.occurrence_id,
                        what: format!("reminder-{}", lead.as_str()),
                        title,
                        body,
                        urgent: false,
                        cant_come: Some(CantCome {
                            occurrence_id: s.occurrence_id,
                            series_id: s.series_id,
                            original_start: s.original_start,
                        }),
                    },
                    recipients: vec![],
                },
                (),
            )
        });
        entry.0.recipients.push(s.resident_id);
    }
    Ok(by_occurrence.into_values().map(|(d, ())| d).collect())
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
