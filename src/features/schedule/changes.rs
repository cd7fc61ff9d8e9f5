//! Rows as the changes a pull (or a push result) carries.

use super::entity::{
    attendance, membership, occurrence_override, occurrence_tally, series, signup, volunteer_group,
};
use super::rules::signup::Status;
use super::wire::{
    AttendanceChange, AttendanceData, AttendanceStatus, GroupChange, GroupData, GroupKind,
    MemberRole, MembershipChange, MembershipData, OccurrenceOverrideChange, OccurrenceOverrideData,
    OccurrenceTallyChange, OccurrenceTallyData, SeriesChange, SeriesData, SignupChange, SignupData,
    SignupStatus,
};
use crate::features::Change;
use crate::sync::wire::ChangeOp;

/// Feed order within one version: a group before its memberships and series, a series
/// before its occurrences' overrides, tallies and sign-ups.
pub const GROUP_RANK: u8 = 0;
pub const MEMBERSHIP_RANK: u8 = 1;
pub const SERIES_RANK: u8 = 2;
pub const OVERRIDE_RANK: u8 = 3;
pub const TALLY_RANK: u8 = 4;
pub const SIGNUP_RANK: u8 = 5;
pub const ATTENDANCE_RANK: u8 = 6;

fn op(deleted: bool) -> ChangeOp {
    ChangeOp::of(deleted)
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or_default()
}

pub fn group(g: &volunteer_group::Model) -> Change {
    Change::Group(GroupChange {
        id: g.id,
        op: op(g.deleted_at.is_some()),
        data: g.deleted_at.is_none().then(|| GroupData {
            id: g.id,
            name: g.name.clone(),
            kind: GroupKind::parse(&g.kind),
            contact_leader_id: g.contact_leader_id,
            description: g.description.clone(),
            venue: g.venue.clone(),
            is_open: g.is_open,
            created_at: g.created_at,
        }),
    })
}

pub fn membership(m: &membership::Model, display_name: &str) -> Change {
    Change::Membership(MembershipChange {
        id: m.id,
        op: op(m.deleted_at.is_some()),
        data: m.deleted_at.is_none().then(|| MembershipData {
            id: m.id,
            group_id: m.group_id,
            resident_id: m.resident_id,
            role: MemberRole::parse(&m.role),
            display_name: display_name.to_owned(),
        }),
    })
}

pub fn series(s: &series::Model) -> Change {
    Change::Series(SeriesChange {
        id: s.id,
        op: op(s.deleted_at.is_some()),
        data: s.deleted_at.is_none().then(|| SeriesData {
            id: s.id,
            group_id: s.group_id,
            title: s.title.clone(),
            description: s.description.clone(),
            location: s.location.clone(),
            start_local: s.start_local.clone(),
            timezone: s.timezone.clone(),
            rrule: s.rrule.clone(),
            duration_minutes: count(s.duration_minutes),
            capacity: s.capacity.map(count),
            notes: s.notes.clone(),
            signup_opens_days_before: s.signup_opens_days_before.map(count),
            signup_closes_minutes_before: count(s.signup_closes_minutes_before),
            cancel_cutoff_minutes_before: count(s.cancel_cutoff_minutes_before),
            waitlist_limit: count(s.waitlist_limit),
        }),
    })
}

pub fn occurrence_override(o: &occurrence_override::Model) -> Change {
    Change::OccurrenceOverride(OccurrenceOverrideChange {
        id: o.id,
        op: op(o.deleted_at.is_some()),
        data: o.deleted_at.is_none().then(|| OccurrenceOverrideData {
            id: o.id,
            series_id: o.series_id,
            original_start: o.original_start,
            cancelled: o.cancelled,
            starts_at: o.starts_at,
            location: o.location.clone(),
            capacity: o.capacity.map(count),
            note: o.note.clone(),
        }),
    })
}

pub fn tally(t: &occurrence_tally::Model) -> Change {
    Change::OccurrenceTally(OccurrenceTallyChange {
        id: t.id,
        op: op(t.deleted_at.is_some()),
        data: t.deleted_at.is_none().then(|| OccurrenceTallyData {
            id: t.id,
            series_id: t.series_id,
            original_start: t.original_start,
            confirmed: count(t.confirmed),
            waitlisted: count(t.waitlisted),
            capacity: t.capacity.map(count),
        }),
    })
}

pub fn signup_status(s: Status) -> SignupStatus {
    match s {
        Status::Confirmed => SignupStatus::Confirmed,
        Status::Waitlisted => SignupStatus::Waitlisted,
        Status::Cancelled => SignupStatus::Cancelled,
        Status::OccurrenceCancelled => SignupStatus::OccurrenceCancelled,
    }
}

/// A sign-up as one viewer sees it: the phone number only for the group's leaders.
pub fn signup(
    s: &signup::Model,
    waitlist_position: Option<u32>,
    display_name: &str,
    phone: Option<&str>,
) -> Change {
    Change::Signup(SignupChange {
        id: s.id,
        op: op(s.deleted_at.is_some()),
        data: s.deleted_at.is_none().then(|| SignupData {
            id: s.id,
            occurrence_id: s.occurrence_id,
            series_id: s.series_id,
            original_start: s.original_start,
            resident_id: s.resident_id,
            party_size: count(s.party_size),
            status: signup_status(Status::parse(&s.status)),
            waitlist_position,
            display_name: display_name.to_owned(),
            phone: phone.map(str::to_owned),
        }),
    })
}

pub fn attendance(a: &attendance::Model) -> Change {
    Change::Attendance(AttendanceChange {
        id: a.id,
        op: op(a.deleted_at.is_some()),
        data: a.deleted_at.is_none().then(|| AttendanceData {
            id: a.id,
            occurrence_id: a.occurrence_id,
            series_id: a.series_id,
            original_start: a.original_start,
            resident_id: a.resident_id,
            status: AttendanceStatus::parse(&a.status),
            hours: f64::from(a.minutes) / 60.0,
        }),
    })
}
