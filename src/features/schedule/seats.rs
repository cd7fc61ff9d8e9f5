//! Occurrences, their overrides, sign-ups and attendance, inside push transactions.
//!
//! Sign-ups are reservations: every decision is taken after [`bump_version`] has locked the
//! community's version row, so two requests for the last seat are decided one after the
//! other, in arrival order, on PostgreSQL as on SQLite. Seat counts are recomputed from the
//! sign-up rows each time (the tally is a copy for phones), so they cannot drift.

use chrono::{DateTime, Duration, Utc};
use poem_openapi::types::MaybeUndefined;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::features::notifications::{self, rules as notes};

use super::changes;
use super::entity::{
    attendance, membership, occurrence_override, occurrence_tally, series, signup, volunteer_group,
};
use super::groups::{authorize, group_target, insert, is_neighbour, managed_series, update};
use super::rules::bounds;
use super::rules::recurrence::{Schedule, local_month, occurrence_id};
use super::rules::signup::{
    self as rules, AttendanceRefusal, Decision as SeatDecision, Occupancy, Refusal, Status,
    attendance_id, signup_id,
};
use super::wire::{
    AttendanceMarkArgs, AttendanceStatus, OccurrenceOverrideArgs, OccurrenceRef, SignupCancelArgs,
    SignupRequestArgs,
};
use crate::domain::FieldError;
use crate::domain::merge::{FieldClocks, merge_field};
use crate::domain::permissions::{self, Action, Actor, Role, Scope, Verdict};
use crate::entity::resident;
use crate::features::{Change, Ctx, Decision, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// One occurrence, resolved: its series, group, timing and override.
pub struct Occurrence {
    pub id: Uuid,
    pub series: series::Model,
    pub group: volunteer_group::Model,
    pub schedule: Schedule,
    pub original: DateTime<Utc>,
    /// The live override, if any.
    pub over: Option<occurrence_override::Model>,
}

impl Occurrence {
    pub fn start(&self) -> DateTime<Utc> {
        self.over
            .as_ref()
            .and_then(|o| o.starts_at)
            .unwrap_or(self.original)
    }

    pub fn capacity(&self) -> Option<i32> {
        effective_capacity(&self.series, self.over.as_ref())
    }

    pub fn cancelled(&self) -> bool {
        self.over.as_ref().is_some_and(|o| o.cancelled)
    }
}

fn effective_capacity(s: &series::Model, over: Option<&occurrence_override::Model>) -> Option<i32> {
    over.and_then(|o| o.capacity).or(s.capacity)
}

pub fn schedule_of(s: &series::Model) -> Option<Schedule> {
    Schedule::parse(
        &s.start_local,
        &s.timezone,
        s.rrule.as_deref(),
        s.duration_minutes,
    )
    .ok()
}

fn reject(code: MutationCode, message: &str) -> Box<Outcome> {
    Box::new(Outcome::rejected(code, message, None))
}

/// How far from now an occurrence may be named: every expansion of a rule walks from its
/// first session, inside the write lock, so it must stay bounded.
pub const REACH_BACK: Duration = Duration::days(400);
pub const REACH_AHEAD: Duration = Duration::days(800);
/// Without `series_id` and `original_start`, an occurrence is searched for in this window
/// only (sign-ups and attendance are about the coming weeks and the recent past).
pub const SEARCH_BACK: Duration = Duration::days(62);
pub const SEARCH_AHEAD: Duration = Duration::days(92);

/// Whether an occurrence starting at `start` is within reach of `now`.
pub fn within_reach(start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    start >= now - REACH_BACK && start <= now + REACH_AHEAD
}

/// Finds the occurrence `id` names: from the series and start hints when given; else from
/// the occurrence's seat tally or override if it has one (one row each, by id); else by
/// searching the community's live series from [`SEARCH_BACK`] to [`SEARCH_AHEAD`].
/// The series and original start of an occurrence that has a seat tally or an override.
async fn known_occurrence(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(Uuid, DateTime<Utc>)>> {
    if let Some(t) = occurrence_tally::Entity::find_by_id(id).one(conn).await? {
        return Ok(Some((t.series_id, t.original_start)));
    }
    Ok(occurrence_override::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|o| (o.series_id, o.original_start)))
}

pub async fn resolve(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    series_hint: Option<Uuid>,
    start_hint: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Decision<Occurrence>> {
    let hints = match (series_hint, start_hint) {
        (Some(sid), Some(start)) => Some((sid, start)),
        _ => known_occurrence(conn, id).await?,
    };
    let (s, original) = match hints {
        Some((sid, start)) => {
            if !within_reach(start, now) {
                return Ok(Err(reject(
                    MutationCode::NotFound,
                    "no such occurrence within a year back or two ahead",
                )));
            }
            if occurrence_id(sid, start) != id {
                return Ok(Err(reject(
                    MutationCode::InvalidMutation,
                    "occurrence_id is not the id of this series and original_start",
                )));
            }
            match series::Entity::find_by_id(sid).one(conn).await? {
                Some(s) if s.community_id == actor.community_id => (s, start),
                _ => return Ok(Err(reject(MutationCode::NotFound, "no such occurrence"))),
            }
        }
        None => {
            let candidates = series::Entity::find()
                .filter(series::Column::CommunityId.eq(actor.community_id))
                .filter(series::Column::DeletedAt.is_null())
                .all(conn)
                .await?;
            let found = candidates.into_iter().find_map(|s| {
                let schedule = schedule_of(&s)?;
                let start = schedule
                    .occurrences(now - SEARCH_BACK, now + SEARCH_AHEAD)
                    .into_iter()
                    .find(|t| occurrence_id(s.id, *t) == id)?;
                Some((s, start))
            });
            match found {
                Some(found) => found,
                None => {
                    return Ok(Err(reject(
                        MutationCode::NotFound,
                        "no such occurrence in the coming weeks; send series_id and original_start",
                    )));
                }
            }
        }
    };
    if s.deleted_at.is_some() {
        return Ok(Err(reject(
            MutationCode::OccurrenceCancelled,
            "the series was deleted",
        )));
    }
    let Some(schedule) = schedule_of(&s).filter(|sch| sch.is_occurrence(original)) else {
        return Ok(Err(reject(
            MutationCode::OccurrenceCancelled,
            "the series no longer has this occurrence",
        )));
    };
    let group = match volunteer_group::Entity::find_by_id(s.group_id)
        .one(conn)
        .await?
    {
        Some(g) if g.deleted_at.is_none() => g,
        _ => {
            return Ok(Err(reject(
                MutationCode::OccurrenceCancelled,
                "the group was deleted",
            )));
        }
    };
    let over = occurrence_override::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|o| o.deleted_at.is_none());
    Ok(Ok(Occurrence {
        id,
        series: s,
        group,
        schedule,
        original,
        over,
    }))
}

/// A sign-up as the actor sees it (with its waitlist position, and a phone number for the
/// group's leaders).
pub async fn signup_view(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    s: &signup::Model,
) -> Result<Change> {
    let position = waitlist_position(conn, s).await?;
    let person = resident::Entity::find_by_id(s.resident_id)
        .one(conn)
        .await?;
    let leads = actor.holds(Role::Leader, Scope::Group(s.group_id));
    let name = person
        .as_ref()
        .map(|p| p.display_name.as_str())
        .unwrap_or_default();
    let phone = person.as_ref().filter(|_| leads).map(|p| p.phone.as_str());
    Ok(changes::signup(s, position, name, phone))
}

/// 1 for the head of the waitlist; `None` unless waitlisted.
pub async fn waitlist_position(
    conn: &impl ConnectionTrait,
    s: &signup::Model,
) -> Result<Option<u32>> {
    if Status::parse(&s.status) != Status::Waitlisted {
        return Ok(None);
    }
    let ahead = signup::Entity::find()
        .filter(signup::Column::OccurrenceId.eq(s.occurrence_id))
        .filter(signup::Column::Status.eq(Status::Waitlisted.as_str()))
        .filter(signup::Column::RequestedVersion.lt(s.requested_version))
        .all(conn)
        .await?
        .len();
    Ok(Some(u32::try_from(ahead).unwrap_or(u32::MAX) + 1))
}

fn refusal_outcome(r: Refusal) -> Outcome {
    let (code, message) = match r {
        Refusal::SignupsNotOpen => (
            MutationCode::SignupsNotOpen,
            "sign-ups for this session have not opened yet",
        ),
        Refusal::SignupsClosed => (
            MutationCode::SignupsClosed,
            "sign-ups for this session have closed",
        ),
        Refusal::WaitlistFull => (
            MutationCode::WaitlistFull,
            "this session is full and so is its waitlist",
        ),
        Refusal::PastCutoff => (
            MutationCode::PastCutoff,
            "it is too close to the start to cancel; call the group leader",
        ),
        Refusal::OccurrenceCancelled => (
            MutationCode::OccurrenceCancelled,
            "this session was cancelled",
        ),
    };
    Outcome::rejected(code, message, None)
}

/// Who a sign-up is for, if the actor may act for them.
async fn volunteer(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    occ: &Occurrence,
    on_behalf_of: Option<Uuid>,
) -> Result<Decision<Uuid>> {
    let who = on_behalf_of.unwrap_or(actor.resident_id);
    if who != actor.resident_id {
        // Proxy sign-ups, for residents without a smartphone: the group's leaders, admins.
        if let Err(o) = authorize(actor, Action::ManageMembers, group_target(&occ.group), None) {
            return Ok(Err(o));
        }
        if !is_neighbour(conn, actor, who).await? {
            return Ok(Err(reject(MutationCode::NotFound, "no such resident")));
        }
    } else if permissions::decide(actor, Action::SignUp, group_target(&occ.group))
        != Verdict::Allowed
    {
        return Ok(Err(reject(
            MutationCode::Forbidden,
            "this group is invite-only: ask its leader to add you",
        )));
    }
    Ok(Ok(who))
}

pub async fn request(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &SignupRequestArgs,
) -> Result<Outcome> {
    let occ = match resolve(
        conn,
        ctx.actor,
        a.occurrence_id,
        a.series_id,
        a.original_start,
        ctx.now,
    )
    .await?
    {
        Ok(o) => o,
        Err(o) => return Ok(*o),
    };
    let who = match volunteer(conn, ctx.actor, &occ, a.on_behalf_of).await? {
        Ok(w) => w,
        Err(o) => return Ok(*o),
    };
    let party = a.party_size.unwrap_or(1);
    if !(1..=rules::MAX_PARTY).contains(&party) {
        return Ok(Outcome::invalid(FieldError::new(
            "party_size",
            format!("must be between 1 and {}", rules::MAX_PARTY),
        )));
    }
    // The push holds the community's lock (`write::lock`): arrival order is decision order.
    if occ.cancelled() {
        return Ok(refusal_outcome(Refusal::OccurrenceCancelled));
    }
    if let Err(r) = rules::check_signup_window(
        ctx.now,
        occ.start(),
        occ.series.signup_opens_days_before,
        occ.series.signup_closes_minutes_before,
    ) {
        return Ok(refusal_outcome(r));
    }
    let id = signup_id(occ.id, who);
    let existing = signup::Entity::find_by_id(id).one(conn).await?;
    if let Some(s) = existing
        .as_ref()
        .filter(|s| Status::parse(&s.status).is_active())
    {
        // Already asked (another phone, a replay): one sign-up, unchanged.
        return Ok(Outcome::applied(
            Some(signup_view(conn, ctx.actor, s).await?),
            None,
        ));
    }
    let active = active_signups(conn, occ.id).await?;
    let occupancy = Occupancy {
        capacity: occ.capacity().map(|c| c.unsigned_abs()),
        confirmed_seats: confirmed_seats(&active),
        waitlisted: u32::try_from(
            active
                .iter()
                .filter(|s| s.status == Status::Waitlisted.as_str())
                .count(),
        )
        .unwrap_or(u32::MAX),
        waitlist_limit: occ.series.waitlist_limit.unsigned_abs(),
    };
    let status = match rules::decide(occupancy, party) {
        SeatDecision::Confirmed => Status::Confirmed,
        SeatDecision::Waitlisted(_) => Status::Waitlisted,
        SeatDecision::Refused(r) => return Ok(refusal_outcome(r)),
    };
    let version = bump_version(conn, occ.series.community_id).await?;
    let row = signup::Model {
        id,
        community_id: occ.series.community_id,
        group_id: occ.group.id,
        series_id: occ.series.id,
        occurrence_id: occ.id,
        original_start: occ.original,
        resident_id: who,
        requested_by: ctx.actor.resident_id,
        party_size: i32::try_from(party).unwrap_or(1),
        status: status.as_str().to_owned(),
        requested_version: version,
        version,
        created_at: existing.as_ref().map_or(ctx.now, |e| e.created_at),
        updated_at: ctx.now,
        deleted_at: None,
    };
    if existing.is_some() {
        update(conn, row.clone().into_active_model()).await?;
    } else {
        insert(conn, row.clone().into_active_model()).await?;
    }
    write_tally(
        conn,
        version,
        &occ.series,
        occ.id,
        occ.original,
        occ.capacity(),
    )
    .await?;
    // A resident signed up by their leader (often one without a smartphone) is told; one who
    // signed up on their own phone sees the answer there.
    if status == Status::Confirmed && who != ctx.actor.resident_id {
        let (title, body) = notes::confirmed(&occ.series.title, occ.start());
        notifications::notify(
            conn,
            occ.series.community_id,
            version,
            ctx.now,
            &notifications::Notice {
                kind: notes::Kind::SignupConfirmed,
                subject: "occurrence",
                subject_id: occ.id,
                what: format!("confirmed-{version}"),
                title,
                body,
                urgent: false,
                cant_come: None,
            },
            &[who],
        )
        .await?;
    }
    Ok(Outcome::applied(
        Some(signup_view(conn, ctx.actor, &row).await?),
        Some(version),
    ))
}

/// The series of the occurrence a cancellation names, from its hint, its tally or override,
/// or a search of the coming weeks.
async fn occurrence_series(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    a: &SignupCancelArgs,
    now: DateTime<Utc>,
) -> Result<Option<series::Model>> {
    let hinted = match a.series_id {
        Some(id) => Some(id),
        None => known_occurrence(conn, a.occurrence_id)
            .await?
            .map(|(series, _)| series),
    };
    if let Some(id) = hinted {
        return Ok(series::Entity::find_by_id(id)
            .one(conn)
            .await?
            .filter(|s| s.community_id == actor.community_id));
    }
    Ok(
        resolve(conn, actor, a.occurrence_id, None, a.original_start, now)
            .await?
            .ok()
            .map(|occ| occ.series),
    )
}

pub async fn cancel(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &SignupCancelArgs,
) -> Result<Outcome> {
    let who = a.on_behalf_of.unwrap_or(ctx.actor.resident_id);
    if who != ctx.actor.resident_id {
        // Someone else's sign-up: whether the actor runs the session's group is decided
        // first, so the answer never says whether that resident signed up.
        let Some(series) = occurrence_series(conn, ctx.actor, a, ctx.now).await? else {
            return Ok(Outcome::rejected(
                MutationCode::NotFound,
                "there is no such sign-up",
                None,
            ));
        };
        let group = volunteer_group::Entity::find_by_id(series.group_id)
            .one(conn)
            .await?;
        let runs_it = group.is_some_and(|g| {
            authorize(ctx.actor, Action::ManageMembers, group_target(&g), None).is_ok()
        });
        if !runs_it {
            return Ok(Outcome::rejected(
                MutationCode::Forbidden,
                "you are not allowed to do this",
                None,
            ));
        }
    }
    let existing = signup::Entity::find_by_id(signup_id(a.occurrence_id, who))
        .one(conn)
        .await?;
    let existing = match existing {
        Some(s) if s.community_id == ctx.actor.community_id => s,
        _ => {
            return Ok(Outcome::rejected(
                MutationCode::NotFound,
                "there is no such sign-up",
                None,
            ));
        }
    };
    // Someone else's sign-up: only the group's leaders and admins, before anything is shown.
    let staff = match volunteer_group::Entity::find_by_id(existing.group_id)
        .one(conn)
        .await?
    {
        Some(g) => authorize(ctx.actor, Action::ManageMembers, group_target(&g), None).is_ok(),
        None => false,
    };
    if who != ctx.actor.resident_id && !staff {
        return Ok(Outcome::rejected(
            MutationCode::Forbidden,
            "you are not allowed to do this",
            None,
        ));
    }
    if !Status::parse(&existing.status).is_active() {
        // Already cancelled, by the volunteer or with the occurrence: nothing to do.
        return Ok(Outcome::applied(
            Some(signup_view(conn, ctx.actor, &existing).await?),
            None,
        ));
    }
    let occ = match resolve(
        conn,
        ctx.actor,
        a.occurrence_id,
        Some(existing.series_id),
        Some(existing.original_start),
        ctx.now,
    )
    .await?
    {
        Ok(o) => o,
        Err(o) => return Ok(*o),
    };
    // Leaders and admins may cancel after the cutoff (the volunteer called them).
    if !staff
        && let Err(r) = rules::check_cancel_cutoff(
            ctx.now,
            occ.start(),
            occ.series.cancel_cutoff_minutes_before,
        )
    {
        return Ok(refusal_outcome(r));
    }
    let version = bump_version(conn, occ.series.community_id).await?;
    let mut row = existing;
    row.status = Status::Cancelled.as_str().to_owned();
    row.updated_at = ctx.now;
    row.version = version;
    update(conn, row.clone().into_active_model()).await?;
    rebalance(
        conn,
        version,
        &occ.series,
        occ.id,
        occ.original,
        occ.capacity(),
        ctx.now,
    )
    .await?;
    Ok(Outcome::applied(
        Some(signup_view(conn, ctx.actor, &row).await?),
        Some(version),
    ))
}

async fn active_signups(
    conn: &impl ConnectionTrait,
    occurrence: Uuid,
) -> Result<Vec<signup::Model>> {
    signup::Entity::find()
        .filter(signup::Column::OccurrenceId.eq(occurrence))
        .filter(
            signup::Column::Status.is_in([Status::Confirmed.as_str(), Status::Waitlisted.as_str()]),
        )
        .order_by_asc(signup::Column::RequestedVersion)
        .all(conn)
        .await
}

fn confirmed_seats(active: &[signup::Model]) -> u32 {
    active
        .iter()
        .filter(|s| s.status == Status::Confirmed.as_str())
        .map(|s| s.party_size.unsigned_abs())
        .sum()
}

/// Promotes the waitlist's head while it fits, re-sends the waitlist (positions moved) and
/// rewrites the tally.
async fn rebalance(
    conn: &impl ConnectionTrait,
    version: i64,
    s: &series::Model,
    occurrence: Uuid,
    original: DateTime<Utc>,
    capacity: Option<i32>,
    now: DateTime<Utc>,
) -> Result<()> {
    let active = active_signups(conn, occurrence).await?;
    let waiting: Vec<&signup::Model> = active
        .iter()
        .filter(|s| s.status == Status::Waitlisted.as_str())
        .collect();
    let parties: Vec<u32> = waiting
        .iter()
        .map(|s| s.party_size.unsigned_abs())
        .collect();
    let promoted = rules::promotions(
        capacity.map(i32::unsigned_abs),
        confirmed_seats(&active),
        &parties,
    );
    let mut told = Vec::new();
    for (i, w) in waiting.into_iter().enumerate() {
        let mut row = w.clone();
        if i < promoted {
            row.status = Status::Confirmed.as_str().to_owned();
            row.updated_at = now;
            told.push(row.resident_id);
        }
        row.version = version;
        update(conn, row.into_active_model()).await?;
    }
    if !told.is_empty() {
        let (title, body) = notes::promoted(&s.title, original);
        notifications::notify(
            conn,
            s.community_id,
            version,
            now,
            &notifications::Notice {
                kind: notes::Kind::SignupPromoted,
                subject: "occurrence",
                subject_id: occurrence,
                // Promoted again after a cancellation is news again.
                what: format!("promoted-{version}"),
                title,
                body,
                urgent: false,
                cant_come: None,
            },
            &told,
        )
        .await?;
    }
    write_tally(conn, version, s, occurrence, original, capacity).await
}

async fn write_tally(
    conn: &impl ConnectionTrait,
    version: i64,
    s: &series::Model,
    occurrence: Uuid,
    original: DateTime<Utc>,
    capacity: Option<i32>,
) -> Result<()> {
    let active = active_signups(conn, occurrence).await?;
    let tally = occurrence_tally::Model {
        id: occurrence,
        community_id: s.community_id,
        series_id: s.id,
        original_start: original,
        confirmed: i32::try_from(confirmed_seats(&active)).unwrap_or(i32::MAX),
        waitlisted: i32::try_from(
            active
                .iter()
                .filter(|r| r.status == Status::Waitlisted.as_str())
                .count(),
        )
        .unwrap_or(i32::MAX),
        capacity,
        version,
        deleted_at: None,
    };
    if occurrence_tally::Entity::find_by_id(occurrence)
        .one(conn)
        .await?
        .is_some()
    {
        update(conn, tally.into_active_model()).await
    } else {
        insert(conn, tally.into_active_model()).await
    }
}

/// Withdraws an active sign-up for good (its resident deleted their account): cancelled,
/// and its seat goes to the head of the waitlist, in version `version`.
pub async fn withdraw(
    conn: &impl ConnectionTrait,
    version: i64,
    s: signup::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(series) = series::Entity::find_by_id(s.series_id).one(conn).await? else {
        return Ok(());
    };
    let over = occurrence_override::Entity::find_by_id(s.occurrence_id)
        .one(conn)
        .await?
        .filter(|o| o.deleted_at.is_none());
    let (occurrence, original) = (s.occurrence_id, s.original_start);
    let mut row = s;
    row.status = Status::Cancelled.as_str().to_owned();
    row.updated_at = now;
    row.version = version;
    update(conn, row.into_active_model()).await?;
    rebalance(
        conn,
        version,
        &series,
        occurrence,
        original,
        effective_capacity(&series, over.as_ref()),
        now,
    )
    .await
}

/// After a series' capacity or waitlist changed: rebalance every occurrence with sign-ups.
pub async fn rebalance_series(
    conn: &impl ConnectionTrait,
    version: i64,
    s: &series::Model,
) -> Result<()> {
    let now = Utc::now();
    for t in occurrence_tally::Entity::find()
        .filter(occurrence_tally::Column::SeriesId.eq(s.id))
        .filter(occurrence_tally::Column::DeletedAt.is_null())
        .all(conn)
        .await?
    {
        let over = occurrence_override::Entity::find_by_id(t.id)
            .one(conn)
            .await?
            .filter(|o| o.deleted_at.is_none());
        rebalance(
            conn,
            version,
            s,
            t.id,
            t.original_start,
            effective_capacity(s, over.as_ref()),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Sign-ups of occurrences that no longer exist (the series was deleted or its rule
/// changed) become `occurrence_cancelled`, so their volunteers see it in their next pull.
pub async fn cancel_vanished(
    conn: &impl ConnectionTrait,
    version: i64,
    s: &series::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let schedule = if s.deleted_at.is_none() {
        schedule_of(s)
    } else {
        None
    };
    let tallies = occurrence_tally::Entity::find()
        .filter(occurrence_tally::Column::SeriesId.eq(s.id))
        .filter(occurrence_tally::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    for t in tallies {
        if schedule
            .as_ref()
            .is_some_and(|sch| sch.is_occurrence(t.original_start))
        {
            continue;
        }
        cancel_occurrence_signups(conn, version, s, t.id, t.original_start, now).await?;
        let mut t = t;
        t.deleted_at = Some(now);
        t.version = version;
        update(conn, t.into_active_model()).await?;
    }
    Ok(())
}

/// Cancels an occurrence's sign-ups, and tells their volunteers.
async fn cancel_occurrence_signups(
    conn: &impl ConnectionTrait,
    version: i64,
    series: &series::Model,
    occurrence: Uuid,
    original: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut told = Vec::new();
    for s in active_signups(conn, occurrence).await? {
        told.push(s.resident_id);
        let mut row = s;
        row.status = Status::OccurrenceCancelled.as_str().to_owned();
        row.updated_at = now;
        row.version = version;
        update(conn, row.into_active_model()).await?;
    }
    let (title, body) = notes::session_cancelled(&series.title, original);
    notifications::notify(
        conn,
        series.community_id,
        version,
        now,
        &notifications::Notice {
            kind: notes::Kind::SessionCancelled,
            subject: "occurrence",
            subject_id: occurrence,
            what: "cancelled".into(),
            title,
            body,
            urgent: false,
            cant_come: None,
        },
        &told,
    )
    .await?;
    Ok(())
}

pub async fn override_occurrence(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &OccurrenceOverrideArgs,
) -> Result<Outcome> {
    let (s, group) = match managed_series(conn, ctx.actor, a.series_id).await? {
        Ok(found) => found,
        Err(o) => return Ok(*o),
    };
    if s.deleted_at.is_some() {
        return Ok(Outcome::rejected(
            MutationCode::Deleted,
            "the series was deleted",
            Some(changes::series(&s)),
        ));
    }
    if !within_reach(a.original_start, ctx.now)
        || !schedule_of(&s).is_some_and(|sch| sch.is_occurrence(a.original_start))
    {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "the series has no occurrence at original_start",
            None,
        ));
    }
    let validated = (|| -> std::result::Result<_, FieldError> {
        Ok((
            match &a.location {
                MaybeUndefined::Value(l) => MaybeUndefined::Value(bounds::optional_text(
                    "location",
                    l,
                    bounds::PLACE_MAX,
                    false,
                )?),
                MaybeUndefined::Null => MaybeUndefined::Null,
                MaybeUndefined::Undefined => MaybeUndefined::Undefined,
            },
            match &a.capacity {
                MaybeUndefined::Value(c) => {
                    MaybeUndefined::Value(bounds::capacity(Some(*c))?.unwrap_or_default())
                }
                MaybeUndefined::Null => MaybeUndefined::Null,
                MaybeUndefined::Undefined => MaybeUndefined::Undefined,
            },
            a.note
                .as_deref()
                .map(|n| bounds::optional_text("note", n, bounds::LONG_TEXT_MAX, true))
                .transpose()?,
        ))
    })();
    let (location, capacity, note) = match validated {
        Ok(v) => v,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let id = occurrence_id(s.id, a.original_start);
    let existing = occurrence_override::Entity::find_by_id(id)
        .one(conn)
        .await?;
    let is_new = existing.is_none();
    let before = existing.clone().filter(|o| o.deleted_at.is_none());
    let mut o = existing.unwrap_or_else(|| occurrence_override::Model {
        id,
        community_id: s.community_id,
        group_id: group.id,
        series_id: s.id,
        original_start: a.original_start,
        cancelled: false,
        starts_at: None,
        location: None,
        capacity: None,
        note: String::new(),
        clocks: "{}".into(),
        version: 0,
        created_at: ctx.now,
        deleted_at: None,
    });
    let mut clocks = FieldClocks::from_json(&o.clocks);
    let st = ctx.stamp;
    let mut present = o.deleted_at.is_none() || is_new;
    let was_cleared = o.deleted_at.is_some();
    let mut won = merge_field(&mut clocks, "present", st, &mut present, true);
    if won && was_cleared {
        // A cleared override comes back as a fresh one, not with what was cleared.
        o.cancelled = false;
        o.starts_at = None;
        o.location = None;
        o.capacity = None;
        o.note = String::new();
    }
    if let Some(c) = a.cancelled {
        won |= merge_field(&mut clocks, "cancelled", st, &mut o.cancelled, c);
    }
    match a.starts_at {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            won |= merge_field(&mut clocks, "starts_at", st, &mut o.starts_at, None)
        }
        MaybeUndefined::Value(t) => {
            won |= merge_field(&mut clocks, "starts_at", st, &mut o.starts_at, Some(t))
        }
    }
    match location {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            won |= merge_field(&mut clocks, "location", st, &mut o.location, None)
        }
        MaybeUndefined::Value(l) => {
            won |= merge_field(&mut clocks, "location", st, &mut o.location, Some(l))
        }
    }
    match capacity {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            won |= merge_field(&mut clocks, "capacity", st, &mut o.capacity, None)
        }
        MaybeUndefined::Value(c) => {
            won |= merge_field(&mut clocks, "capacity", st, &mut o.capacity, Some(c))
        }
    }
    if let Some(n) = note {
        won |= merge_field(&mut clocks, "note", st, &mut o.note, n);
    }
    if !won {
        return Ok(Outcome::applied(
            Some(changes::occurrence_override(&o)),
            None,
        ));
    }
    let version = bump_version(conn, s.community_id).await?;
    o.deleted_at = if present {
        None
    } else {
        o.deleted_at.or(Some(ctx.now))
    };
    o.clocks = clocks.to_json();
    o.version = version;
    if is_new {
        insert(conn, o.clone().into_active_model()).await?;
    } else {
        update(conn, o.clone().into_active_model()).await?;
    }
    after_override_change(conn, version, &s, before.as_ref(), &o, ctx.now).await?;
    Ok(Outcome::applied(
        Some(changes::occurrence_override(&o)),
        Some(version),
    ))
}

pub async fn clear_override(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &OccurrenceRef,
) -> Result<Outcome> {
    let (s, _) = match managed_series(conn, ctx.actor, a.series_id).await? {
        Ok(found) => found,
        Err(o) => return Ok(*o),
    };
    let id = occurrence_id(s.id, a.original_start);
    let Some(mut o) = occurrence_override::Entity::find_by_id(id)
        .one(conn)
        .await?
    else {
        return Ok(Outcome::applied(None, None));
    };
    let before = Some(o.clone()).filter(|o| o.deleted_at.is_none());
    let mut clocks = FieldClocks::from_json(&o.clocks);
    let mut present = o.deleted_at.is_none();
    if !merge_field(&mut clocks, "present", ctx.stamp, &mut present, false) {
        return Ok(Outcome::applied(
            Some(changes::occurrence_override(&o)),
            None,
        ));
    }
    let version = bump_version(conn, s.community_id).await?;
    o.deleted_at = o.deleted_at.or(Some(ctx.now));
    o.clocks = clocks.to_json();
    o.version = version;
    update(conn, o.clone().into_active_model()).await?;
    after_override_change(conn, version, &s, before.as_ref(), &o, ctx.now).await?;
    Ok(Outcome::applied(
        Some(changes::occurrence_override(&o)),
        Some(version),
    ))
}

/// A newly cancelled occurrence cancels its sign-ups; a new capacity rebalances them.
async fn after_override_change(
    conn: &impl ConnectionTrait,
    version: i64,
    s: &series::Model,
    before: Option<&occurrence_override::Model>,
    after: &occurrence_override::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let live = Some(after).filter(|o| o.deleted_at.is_none());
    let was_cancelled = before.is_some_and(|o| o.cancelled);
    if live.is_some_and(|o| o.cancelled) && !was_cancelled {
        cancel_occurrence_signups(conn, version, s, after.id, after.original_start, now).await?;
        write_tally(
            conn,
            version,
            s,
            after.id,
            after.original_start,
            effective_capacity(s, live),
        )
        .await?;
        return Ok(());
    }
    let (old, new) = (effective_capacity(s, before), effective_capacity(s, live));
    let has_signups = occurrence_tally::Entity::find_by_id(after.id)
        .one(conn)
        .await?
        .is_some();
    if old != new && has_signups {
        rebalance(conn, version, s, after.id, after.original_start, new, now).await?;
    }
    Ok(())
}

/// Whether `resident` signed up for the occurrence (and did not cancel) or belongs to its group.
async fn is_volunteer(
    conn: &impl ConnectionTrait,
    occ: &Occurrence,
    resident: Uuid,
) -> Result<bool> {
    let signed_up = signup::Entity::find_by_id(signup_id(occ.id, resident))
        .one(conn)
        .await?
        .is_some_and(|s| Status::parse(&s.status).is_active());
    if signed_up {
        return Ok(true);
    }
    Ok(
        membership::Entity::find_by_id(super::membership_id(occ.group.id, resident))
            .one(conn)
            .await?
            .is_some_and(|m| m.deleted_at.is_none()),
    )
}

pub async fn mark_attendance(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &AttendanceMarkArgs,
) -> Result<Outcome> {
    let occ = match resolve(
        conn,
        ctx.actor,
        a.occurrence_id,
        a.series_id,
        a.original_start,
        ctx.now,
    )
    .await?
    {
        Ok(o) => o,
        Err(o) => return Ok(*o),
    };
    if let Err(o) = authorize(
        ctx.actor,
        Action::ManageMembers,
        group_target(&occ.group),
        None,
    ) {
        return Ok(*o);
    }
    let minutes = match rules::attendance_minutes(
        ctx.now,
        occ.start(),
        occ.series.duration_minutes,
        occ.cancelled(),
        a.status == AttendanceStatus::Present,
        a.hours,
    ) {
        Ok(m) => m,
        Err(AttendanceRefusal::Cancelled) => {
            return Ok(refusal_outcome(Refusal::OccurrenceCancelled));
        }
        Err(AttendanceRefusal::NotYet) => {
            return Ok(Outcome::invalid(FieldError::new(
                "original_start",
                "the session has not begun yet; mark attendance once it does",
            )));
        }
        Err(AttendanceRefusal::TooLong { max_hours }) => {
            return Ok(Outcome::invalid(FieldError::new(
                "hours",
                format!("at most the session's length, {max_hours} hours"),
            )));
        }
        Err(AttendanceRefusal::BadHours) => {
            return Ok(Outcome::invalid(FieldError::new(
                "hours",
                "must be a number of hours, 0 or more",
            )));
        }
    };
    // Attendance is for the session's volunteers: those who asked for a seat, and the
    // group's members (who may walk in).
    if !is_volunteer(conn, &occ, a.user_id).await? {
        return Ok(Outcome::invalid(FieldError::new(
            "user_id",
            "this resident neither signed up for this session nor belongs to the group",
        )));
    }
    let id = attendance_id(occ.id, a.user_id);
    let existing = attendance::Entity::find_by_id(id).one(conn).await?;
    let is_new = existing.is_none();
    let mut row = existing.unwrap_or_else(|| attendance::Model {
        id,
        community_id: occ.series.community_id,
        group_id: occ.group.id,
        series_id: occ.series.id,
        occurrence_id: occ.id,
        original_start: occ.original,
        month: local_month(occ.start(), occ.schedule.timezone),
        resident_id: a.user_id,
        status: String::new(),
        minutes: 0,
        marked_by: ctx.actor.resident_id,
        clocks: "{}".into(),
        version: 0,
        created_at: ctx.now,
        deleted_at: None,
    });
    let mut clocks = FieldClocks::from_json(&row.clocks);
    let won = merge_field(
        &mut clocks,
        "status",
        ctx.stamp,
        &mut row.status,
        a.status.as_str().to_owned(),
    ) | merge_field(&mut clocks, "minutes", ctx.stamp, &mut row.minutes, minutes);
    if !won {
        return Ok(Outcome::applied(Some(changes::attendance(&row)), None));
    }
    let version = bump_version(conn, occ.series.community_id).await?;
    row.marked_by = ctx.actor.resident_id;
    row.clocks = clocks.to_json();
    row.version = version;
    if is_new {
        insert(conn, row.clone().into_active_model()).await?;
    } else {
        update(conn, row.clone().into_active_model()).await?;
    }
    // Hours pledged to a campaign that links this series are given by being here.
    if a.status == AttendanceStatus::Present {
        let session = format!(
            "出席「{}」{}",
            occ.series.title,
            occ.start()
                .with_timezone(&crate::features::notifications::ZONE)
                .format("%Y-%m-%d %H:%M")
        );
        // Boxed: the ledger's append is large, and this handler's future is nested in the
        // push's.
        Box::pin(crate::features::crowdfunding::ledger::hours_served(
            conn,
            ctx,
            occ.series.id,
            row.resident_id,
            &session,
            version,
        ))
        .await?;
    }
    let outcome = Outcome::applied(Some(changes::attendance(&row)), Some(version));
    // A mark changed after it was made is a correction of someone's service record.
    Ok(if is_new {
        outcome
    } else {
        outcome.audited(
            "attendance.correct",
            Some(row.resident_id),
            format!(
                "{} at {}: {} for {} minutes",
                occ.series.title, occ.original, row.status, row.minutes
            ),
        )
    })
}
