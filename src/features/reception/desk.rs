//! Reception days' mutations.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entity::{reception_booking as booking, reception_day as day};
use super::wire::*;
use crate::domain::FieldError;
use crate::domain::permissions::{self, Action, Actor, Target, Verdict};
use crate::features::cases::departments::resident_name;
use crate::features::cases::entity::department;
use crate::features::cases::handling::{Intake, open_from_reception};
use crate::features::cases::rules as keys;
use crate::features::deliberation::name_of;
use crate::features::schedule::rules::signup::{self, Decision, Occupancy};
use crate::features::territory::{authorize, created_already};
use crate::features::{Change, Ctx, MutationCode, Outcome};
use crate::sync::wire::ChangeOp;
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

fn may(actor: &Actor, action: Action) -> bool {
    permissions::decide(
        actor,
        action,
        Target::Community {
            id: actor.community_id,
        },
    ) == Verdict::Allowed
}

/// Whether the actor sees a booking: its resident, whoever booked it for them, the
/// president's office, the department's liaison, admins (the feed's keys).
pub fn sees_booking(actor: &Actor, b: &booking::Model) -> bool {
    if b.community_id != actor.community_id || b.deleted_at.is_some() {
        return false;
    }
    if b.owner_id == actor.resident_id || actor.is_admin_of(actor.community_id) {
        return true;
    }
    crate::features::cases::sees_over(actor)
        .any(|k| k == b.office_key || k == b.liaison_key || Some(k) == b.intake_key)
}

/// The day's slot starts.
pub fn slots(starts: DateTime<Utc>, ends: DateTime<Utc>, minutes: i64) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut t = starts;
    while minutes > 0 && t + Duration::minutes(minutes) <= ends {
        out.push(t);
        t += Duration::minutes(minutes);
    }
    out
}

/// The id of a resident's booking with a department on a day.
pub fn booking_id(reception: Uuid, department: Uuid, resident: Uuid) -> Uuid {
    let mut key = department.as_bytes().to_vec();
    key.extend_from_slice(resident.as_bytes());
    Uuid::new_v5(&reception, &key)
}

fn attending(d: &day::Model) -> Vec<Attending> {
    serde_json::from_str(&d.departments).unwrap_or_default()
}

/// `reception.create`.
pub async fn create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ReceptionCreateArgs,
) -> Result<Outcome> {
    if let Some(d) = day::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(d.community_id, ctx.actor, day_change(&d)));
    }
    let community = ctx.actor.community_id;
    if let Err(o) = authorize(
        ctx.actor,
        Action::ManageTerritory,
        Target::Community { id: community },
    ) {
        return Ok(*o);
    }
    // Whole seconds: PostgreSQL keeps microseconds, a phone may send nanoseconds, and a slot
    // is named by its start.
    let (starts_at, ends_at) = (a.starts_at.trunc_subsecs(0), a.ends_at.trunc_subsecs(0));
    if ends_at <= starts_at || (ends_at - starts_at) > Duration::hours(14) {
        return Ok(Outcome::invalid(FieldError::new(
            "ends_at",
            "a reception day ends after it starts, the same day",
        )));
    }
    if slots(starts_at, ends_at, i64::from(a.slot_minutes)).is_empty() {
        return Ok(Outcome::invalid(FieldError::new(
            "slot_minutes",
            "not even one slot fits between the start and the end",
        )));
    }
    let mut departments = Vec::new();
    for id in &a.department_ids {
        let Some(d) = department::Entity::find_by_id(*id)
            .one(conn)
            .await?
            .filter(|d| d.community_id == community && d.deleted_at.is_none())
        else {
            return Ok(Outcome::rejected(
                MutationCode::NotFound,
                "no such department",
                None,
            ));
        };
        if !departments
            .iter()
            .any(|x: &Attending| x.department_id == d.id)
        {
            departments.push(Attending {
                department_id: d.id,
                name: d.name,
            });
        }
    }
    let version = bump_version(conn, community).await?;
    let row = day::Model {
        id: a.id,
        community_id: community,
        title: a.title.trim().to_owned(),
        place: a.place.trim().to_owned(),
        starts_at,
        ends_at,
        slot_minutes: i32::try_from(a.slot_minutes).unwrap_or(30),
        capacity: i32::try_from(a.capacity).unwrap_or(1),
        waitlist_limit: i32::try_from(a.waitlist_limit.unwrap_or(5)).unwrap_or(5),
        departments: serde_json::to_string(&departments).unwrap_or_default(),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    day::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(Outcome::applied(Some(day_change(&row)), Some(version)))
}

async fn live_day(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<day::Model>> {
    Ok(day::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|d| d.community_id == actor.community_id && d.deleted_at.is_none()))
}

async fn liaison_of(conn: &impl ConnectionTrait, dept: Uuid) -> Result<Option<department::Model>> {
    department::Entity::find_by_id(dept).one(conn).await
}

/// The bookings of a slot with a department, in queue order.
async fn queue(
    conn: &impl ConnectionTrait,
    reception: Uuid,
    dept: Uuid,
    slot: DateTime<Utc>,
) -> Result<Vec<booking::Model>> {
    booking::Entity::find()
        .filter(booking::Column::ReceptionId.eq(reception))
        .filter(booking::Column::DepartmentId.eq(dept))
        .filter(booking::Column::SlotStart.eq(slot))
        .filter(booking::Column::Status.is_in([
            BookingStatus::Confirmed.as_str(),
            BookingStatus::Waitlisted.as_str(),
        ]))
        .order_by_asc(booking::Column::BookedAt)
        .order_by_asc(booking::Column::Id)
        .all(conn)
        .await
}

/// `reception.book`.
pub async fn book(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ReceptionBookArgs,
) -> Result<Outcome> {
    let community = ctx.actor.community_id;
    let Some(d) = live_day(conn, ctx.actor, a.reception_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such reception day",
            None,
        ));
    };
    if !attending(&d)
        .iter()
        .any(|x| x.department_id == a.department_id)
    {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "that department does not attend this day",
            None,
        ));
    }
    let slot_start = a.slot_start.trunc_subsecs(0);
    if !slots(d.starts_at, d.ends_at, i64::from(d.slot_minutes)).contains(&slot_start) {
        return Ok(Outcome::invalid(FieldError::new(
            "slot_start",
            "not one of the day's slots",
        )));
    }
    if ctx.now >= slot_start {
        return Ok(Outcome::rejected(
            MutationCode::SignupsClosed,
            "this slot has started: come to the door as a walk-in",
            None,
        ));
    }
    let me = ctx.actor.resident_id;
    let (resident, intake) = match a.on_behalf_of.filter(|r| *r != me) {
        None => (me, None),
        Some(r) => {
            if !may(ctx.actor, Action::TakeIntake) {
                return Ok(Outcome::rejected(
                    MutationCode::Forbidden,
                    "only the help team, grid workers and the committee book for others",
                    None,
                ));
            }
            (r, Some(me))
        }
    };
    let Some(name) = resident_name(conn, community, resident).await? else {
        return Ok(Outcome::rejected(
            MutationCode::OwnerOutsideCommunity,
            "bookings are for residents of this community",
            None,
        ));
    };
    let id = booking_id(d.id, a.department_id, resident);
    let existing = booking::Entity::find_by_id(id).one(conn).await?;
    if let Some(b) = &existing
        && matches!(
            BookingStatus::parse(&b.status),
            Some(BookingStatus::Confirmed | BookingStatus::Waitlisted)
        )
    {
        // Booked already with this department: one place a day. Shown to whoever sees it.
        return Ok(if sees_booking(ctx.actor, b) {
            Outcome::applied(Some(booking_change(b)), None)
        } else {
            Outcome::rejected(
                MutationCode::Conflict,
                "this resident is booked with this department already",
                None,
            )
        });
    }
    let q = queue(conn, d.id, a.department_id, slot_start).await?;
    let confirmed = q
        .iter()
        .filter(|b| b.status == BookingStatus::Confirmed.as_str())
        .count();
    let occupancy = Occupancy {
        capacity: u32::try_from(d.capacity).ok(),
        confirmed_seats: u32::try_from(confirmed).unwrap_or(u32::MAX),
        waitlisted: u32::try_from(q.len() - confirmed).unwrap_or(u32::MAX),
        waitlist_limit: u32::try_from(d.waitlist_limit).unwrap_or(0),
    };
    let status = match signup::decide(occupancy, 1) {
        Decision::Confirmed => BookingStatus::Confirmed,
        Decision::Waitlisted(_) => BookingStatus::Waitlisted,
        Decision::Refused(_) => {
            return Ok(Outcome::rejected(
                MutationCode::WaitlistFull,
                "this slot and its waitlist are full: try another slot",
                None,
            ));
        }
    };
    let Some(dept) = liaison_of(conn, a.department_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such department",
            None,
        ));
    };
    let version = bump_version(conn, community).await?;
    let row = booking::Model {
        id,
        community_id: community,
        reception_id: d.id,
        department_id: a.department_id,
        slot_start: Some(slot_start),
        resident_id: Some(resident),
        name,
        topic: a.topic.as_deref().unwrap_or("").trim().to_owned(),
        status: status.as_str().to_owned(),
        booked_at: ctx.now,
        case_id: None,
        owner_id: resident,
        office_key: keys::office(community),
        liaison_key: keys::person(dept.liaison_id),
        intake_key: intake.map(keys::person),
        version,
        created_at: existing.as_ref().map_or(ctx.now, |b| b.created_at),
        deleted_at: None,
    };
    if existing.is_some() {
        row.clone()
            .into_active_model()
            .reset_all()
            .update(conn)
            .await?;
    } else {
        booking::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(Outcome::applied(Some(booking_change(&row)), Some(version)))
}

/// Whether the actor is the staff of a department at the door: its liaison, or those who
/// take intakes.
async fn staff(conn: &impl ConnectionTrait, actor: &Actor, dept: Uuid) -> Result<bool> {
    Ok(may(actor, Action::TakeIntake)
        || liaison_of(conn, dept)
            .await?
            .is_some_and(|d| d.liaison_id == actor.resident_id))
}

/// The live booking `id` of the actor's community, if the actor sees it: one answer for
/// "there is none" and "not yours to see", so a booking's existence does not leak.
async fn load_booking(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<booking::Model>> {
    Ok(booking::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|b| {
            b.community_id == actor.community_id && b.deleted_at.is_none() && sees_booking(actor, b)
        }))
}

/// `reception.cancel`.
pub async fn cancel(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ReceptionCancelArgs,
) -> Result<Outcome> {
    let Some(b) = load_booking(conn, ctx.actor, a.booking_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such booking",
            None,
        ));
    };
    let was = BookingStatus::parse(&b.status);
    if !matches!(
        was,
        Some(BookingStatus::Confirmed | BookingStatus::Waitlisted)
    ) {
        return Ok(Outcome::applied(Some(booking_change(&b)), None));
    }
    let version = bump_version(conn, b.community_id).await?;
    let mut m = b.clone().into_active_model();
    m.status = sea_orm::Set(BookingStatus::Cancelled.as_str().to_owned());
    m.version = sea_orm::Set(version);
    let b = m.update(conn).await?;
    // The first waiting take the freed places.
    // (Never into a slot that has begun: the door takes walk-ins then.)
    if let (Some(slot), Some(d)) = (
        b.slot_start.filter(|s| *s > ctx.now),
        live_day(conn, ctx.actor, b.reception_id).await?,
    ) {
        let q = queue(conn, b.reception_id, b.department_id, slot).await?;
        let confirmed = q
            .iter()
            .filter(|x| x.status == BookingStatus::Confirmed.as_str())
            .count();
        let waiting: Vec<&booking::Model> = q
            .iter()
            .filter(|x| x.status == BookingStatus::Waitlisted.as_str())
            .collect();
        let n = signup::promotions(
            u32::try_from(d.capacity).ok(),
            u32::try_from(confirmed).unwrap_or(u32::MAX),
            &vec![1; waiting.len()],
        );
        for w in waiting.into_iter().take(n) {
            let mut m = w.clone().into_active_model();
            m.status = sea_orm::Set(BookingStatus::Confirmed.as_str().to_owned());
            m.version = sea_orm::Set(version);
            m.update(conn).await?;
        }
    }
    Ok(Outcome::applied(Some(booking_change(&b)), Some(version)))
}

/// `reception.walk_in`.
pub async fn walk_in(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ReceptionWalkInArgs,
) -> Result<Outcome> {
    let community = ctx.actor.community_id;
    if let Some(b) = booking::Entity::find_by_id(a.id).one(conn).await? {
        // The same walk-in sent again by whoever sees it; any other id taken says nothing.
        return Ok(if sees_booking(ctx.actor, &b) {
            Outcome::applied(Some(booking_change(&b)), None)
        } else {
            Outcome::rejected(
                MutationCode::Conflict,
                "this id is taken: make a new one",
                None,
            )
        });
    }
    let Some(d) = live_day(conn, ctx.actor, a.reception_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such reception day",
            None,
        ));
    };
    if !attending(&d)
        .iter()
        .any(|x| x.department_id == a.department_id)
    {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "that department does not attend this day",
            None,
        ));
    }
    if !staff(conn, ctx.actor, a.department_id).await? {
        return Ok(Outcome::rejected(
            MutationCode::Forbidden,
            "walk-ins are recorded by the staff at the door",
            None,
        ));
    }
    let name = match (a.resident_id, a.name.as_deref().map(str::trim)) {
        (Some(r), _) => match resident_name(conn, community, r).await? {
            Some(n) => n,
            None => {
                return Ok(Outcome::rejected(
                    MutationCode::OwnerOutsideCommunity,
                    "no such resident of this community: give the walk-in's name instead",
                    None,
                ));
            }
        },
        (None, Some(n)) if !n.is_empty() => n.to_owned(),
        _ => {
            return Ok(Outcome::invalid(FieldError::new(
                "name",
                "a walk-in is a resident (resident_id) or a name",
            )));
        }
    };
    let Some(dept) = liaison_of(conn, a.department_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such department",
            None,
        ));
    };
    let version = bump_version(conn, community).await?;
    let row = booking::Model {
        id: a.id,
        community_id: community,
        reception_id: d.id,
        department_id: a.department_id,
        slot_start: None,
        resident_id: a.resident_id,
        name,
        topic: a.topic.as_deref().unwrap_or("").trim().to_owned(),
        status: BookingStatus::WalkIn.as_str().to_owned(),
        booked_at: ctx.now,
        case_id: None,
        owner_id: a.resident_id.unwrap_or(ctx.actor.resident_id),
        office_key: keys::office(community),
        liaison_key: keys::person(dept.liaison_id),
        intake_key: Some(keys::person(ctx.actor.resident_id)),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    booking::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(Outcome::applied(Some(booking_change(&row)), Some(version)))
}

/// `reception.intake`: the conversation becomes a case assigned to the department.
pub async fn intake(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ReceptionIntakeArgs,
) -> Result<Outcome> {
    let Some(b) = load_booking(conn, ctx.actor, a.booking_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such booking",
            None,
        ));
    };
    if !staff(conn, ctx.actor, b.department_id).await? {
        return Ok(Outcome::rejected(
            MutationCode::Forbidden,
            "conversations become cases by the staff at the door",
            None,
        ));
    }
    if let Some(case) = b.case_id {
        return Ok(Outcome::rejected(
            MutationCode::CaseOpened,
            format!("case {case} was opened from this conversation already"),
            Some(booking_change(&b)),
        ));
    }
    if b.status == BookingStatus::Cancelled.as_str() {
        return Ok(Outcome::rejected(
            MutationCode::CaseState,
            "the booking was cancelled",
            Some(booking_change(&b)),
        ));
    }
    let Some(dept) = liaison_of(conn, b.department_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such department",
            None,
        ));
    };
    if crate::features::cases::entity::case_file::Entity::find_by_id(a.case_id)
        .one(conn)
        .await?
        .is_some()
    {
        return Ok(Outcome::rejected(
            MutationCode::Conflict,
            "this case id is taken: make a new one",
            None,
        ));
    }
    let (reporter, reporter_name) = match b.resident_id {
        Some(r) => (r, b.name.clone()),
        None => (ctx.actor.resident_id, name_of(conn, ctx.actor).await?),
    };
    let description = if b.resident_id.is_none() {
        format!("{}（來訪者 {}）", a.description.trim(), b.name)
    } else {
        a.description.trim().to_owned()
    };
    let case = open_from_reception(
        conn,
        ctx,
        Intake {
            id: a.case_id,
            category: a.category,
            description,
            reporter,
            reporter_name,
            reception: b.reception_id,
        },
        &dept,
    )
    .await?;
    let mut m = b.into_active_model();
    m.case_id = sea_orm::Set(Some(case.id));
    m.version = sea_orm::Set(case.version);
    let b = m.update(conn).await?;
    Ok(Outcome::applied(
        Some(booking_change(&b)),
        Some(case.version),
    ))
}

pub fn day_change(d: &day::Model) -> Change {
    let data = d.deleted_at.is_none().then(|| ReceptionDayData {
        id: d.id,
        title: d.title.clone(),
        place: d.place.clone(),
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        slot_minutes: u32::try_from(d.slot_minutes).unwrap_or(0),
        capacity: u32::try_from(d.capacity).unwrap_or(0),
        waitlist_limit: u32::try_from(d.waitlist_limit).unwrap_or(0),
        departments: attending(d),
    });
    Change::ReceptionDay(ReceptionDayChange {
        id: d.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

pub fn booking_change(b: &booking::Model) -> Change {
    let data = (|| {
        Some(BookingData {
            id: b.id,
            reception_id: b.reception_id,
            department_id: b.department_id,
            slot_start: b.slot_start,
            resident_id: b.resident_id,
            name: b.name.clone(),
            topic: b.topic.clone(),
            status: BookingStatus::parse(&b.status)?,
            case_id: b.case_id,
        })
    })()
    .filter(|_| b.deleted_at.is_none());
    Change::Booking(BookingChange {
        id: b.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_the_day_and_never_run_past_its_end() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let s = slots(t("2026-12-05T01:00:00Z"), t("2026-12-05T03:10:00Z"), 30);
        assert_eq!(s.len(), 4);
        assert_eq!(s[3], t("2026-12-05T02:30:00Z"));
        assert!(slots(t("2026-12-05T01:00:00Z"), t("2026-12-05T01:20:00Z"), 30).is_empty());
        let (r, d, a, b) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        assert_ne!(booking_id(r, d, a), booking_id(r, d, b));
        assert_eq!(booking_id(r, d, a), booking_id(r, d, a));
    }
}
