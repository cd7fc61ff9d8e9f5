//! The schedule capability's wire types: its mutations (each with its handler), the data
//! its changes carry, and the changes themselves. `crate::features` puts them into the app's
//! unions.

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::{change, mutation};

mutation!(
    /// Create a volunteer group (community admins). The id is a UUIDv7 made by the phone.
    GroupCreateMutation(GroupCreateArgs)
);
mutation!(
    /// Change a group's fields (its leaders and admins). Absent fields are left alone.
    GroupUpdateMutation(GroupUpdateArgs)
);
mutation!(
    /// Delete a group with its series and memberships (admins). Delete wins over concurrent edits.
    GroupDeleteMutation(ObjectRef)
);
mutation!(
    /// Join a group: oneself (open groups), or another resident (its leaders and admins).
    GroupJoinMutation(MembershipArgs)
);
mutation!(
    /// Leave a group: oneself, or remove another resident (its leaders and admins).
    GroupLeaveMutation(MembershipArgs)
);
mutation!(
    /// Make a resident a member or a leader of a group (its leaders and admins).
    MemberSetRoleMutation(MemberSetRoleArgs)
);
mutation!(
    /// Create a schedule series in a group (its leaders and admins).
    SeriesCreateMutation(SeriesCreateArgs)
);
mutation!(
    /// Change a series' fields. Absent fields are left alone.
    SeriesUpdateMutation(SeriesUpdateArgs)
);
mutation!(
    /// Delete a series. Delete wins over concurrent edits.
    SeriesDeleteMutation(ObjectRef)
);
mutation!(
    /// Change one occurrence without touching its series: cancel it, move it, give it another
    /// place, capacity or note (its leaders and admins).
    OccurrenceOverrideMutation(OccurrenceOverrideArgs)
);
mutation!(
    /// Undo an occurrence's override: it follows its series again.
    OccurrenceClearOverrideMutation(OccurrenceRef)
);
mutation!(
    /// Ask for a seat in an occurrence. The result says `confirmed` or `waitlisted` (with the
    /// position); show "pending" until it arrives.
    SignupRequestMutation(SignupRequestArgs)
);
mutation!(
    /// Give up a seat (or a waitlist place); the head of the waitlist moves up.
    SignupCancelMutation(SignupCancelArgs)
);
mutation!(
    /// Record whether a volunteer came, and the hours served (its leaders and admins).
    AttendanceMarkMutation(AttendanceMarkArgs)
);

/// Names an existing object.
#[derive(Debug, Clone, Object)]
pub struct ObjectRef {
    pub id: Uuid,
}

/// What a volunteer group does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum GroupKind {
    CalligraphyPainting,
    Choir,
    Fitness,
    Dance,
    ElderMutualAid,
    LegalCorner,
    Other,
}

impl GroupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::CalligraphyPainting => "calligraphy_painting",
            GroupKind::Choir => "choir",
            GroupKind::Fitness => "fitness",
            GroupKind::Dance => "dance",
            GroupKind::ElderMutualAid => "elder_mutual_aid",
            GroupKind::LegalCorner => "legal_corner",
            GroupKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Self {
        [
            GroupKind::CalligraphyPainting,
            GroupKind::Choir,
            GroupKind::Fitness,
            GroupKind::Dance,
            GroupKind::ElderMutualAid,
            GroupKind::LegalCorner,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .unwrap_or(GroupKind::Other)
    }
}

#[derive(Debug, Clone, Object)]
pub struct GroupCreateArgs {
    /// A UUIDv7 the phone generated.
    pub id: Uuid,
    /// 1 to 80 characters.
    pub name: String,
    /// Default `other`.
    pub kind: Option<GroupKind>,
    /// The leader residents should contact.
    pub contact_leader_id: Option<Uuid>,
    /// At most 2000 characters.
    pub description: Option<String>,
    /// Where the group usually meets; at most 200 characters.
    pub venue: Option<String>,
    /// Whether anyone may join (default true); invite-only groups are joined through a leader.
    pub is_open: Option<bool>,
}

#[derive(Debug, Clone, Object)]
pub struct GroupUpdateArgs {
    pub id: Uuid,
    pub name: Option<String>,
    pub kind: Option<GroupKind>,
    /// A resident, or null for none; absent leaves it alone.
    pub contact_leader_id: MaybeUndefined<Uuid>,
    pub description: Option<String>,
    pub venue: Option<String>,
    pub is_open: Option<bool>,
}

#[derive(Debug, Clone, Object)]
pub struct MembershipArgs {
    pub group_id: Uuid,
    /// Whose membership; yourself when absent.
    pub resident_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MemberRole {
    Member,
    Leader,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Member => "member",
            MemberRole::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "leader" {
            MemberRole::Leader
        } else {
            MemberRole::Member
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct MemberSetRoleArgs {
    pub group_id: Uuid,
    pub resident_id: Uuid,
    pub role: MemberRole,
}

#[derive(Debug, Clone, Object)]
pub struct SeriesCreateArgs {
    /// A UUIDv7 the phone generated.
    pub id: Uuid,
    pub group_id: Uuid,
    /// 1 to 120 characters.
    pub title: String,
    /// At most 2000 characters.
    pub description: Option<String>,
    /// At most 200 characters.
    pub location: Option<String>,
    /// The first occurrence's local start, like `2026-12-01T09:30`.
    pub start_local: String,
    /// IANA time zone; default `Asia/Shanghai`.
    pub timezone: Option<String>,
    /// RFC 5545 RRULE value, like `FREQ=WEEKLY;BYDAY=TU,TH`; absent for a single session.
    /// At most 800 occurrences a year.
    pub rrule: Option<String>,
    /// 1 to 1440.
    pub duration_minutes: u32,
    /// Seats; absent or null for unlimited. 1 to 100000.
    pub capacity: Option<u32>,
    /// At most 2000 characters.
    pub notes: Option<String>,
    /// Sign-ups open this many days before each occurrence; absent: as soon as published.
    pub signup_opens_days_before: Option<u32>,
    /// Sign-ups close this many minutes before the start (default 0).
    pub signup_closes_minutes_before: Option<u32>,
    /// Cancelling is possible until this many minutes before the start (default 0).
    pub cancel_cutoff_minutes_before: Option<u32>,
    /// Most people on one occurrence's waitlist (default 20).
    pub waitlist_limit: Option<u32>,
}

#[derive(Debug, Clone, Object)]
pub struct SeriesUpdateArgs {
    pub id: Uuid,
    pub title: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub start_local: Option<String>,
    pub timezone: Option<String>,
    /// A rule, or null to make it a single session; absent leaves it alone.
    pub rrule: MaybeUndefined<String>,
    pub duration_minutes: Option<u32>,
    /// A number of seats, or null for unlimited; absent leaves it alone.
    pub capacity: MaybeUndefined<u32>,
    pub notes: Option<String>,
    pub signup_opens_days_before: MaybeUndefined<u32>,
    pub signup_closes_minutes_before: Option<u32>,
    pub cancel_cutoff_minutes_before: Option<u32>,
    pub waitlist_limit: Option<u32>,
}

/// Names one occurrence: its id, and (so the server need not search) its series and
/// original start. The id is `UUIDv5(namespace = series id, name = original start as
/// "YYYY-MM-DDTHH:MM:SSZ")`.
#[derive(Debug, Clone, Object)]
pub struct OccurrenceRef {
    pub series_id: Uuid,
    /// The start the series' rule gives this occurrence, before any move.
    pub original_start: DateTime<Utc>,
}

#[derive(Debug, Clone, Object)]
pub struct OccurrenceOverrideArgs {
    pub series_id: Uuid,
    pub original_start: DateTime<Utc>,
    /// Cancel (true) or reinstate (false) this occurrence.
    pub cancelled: Option<bool>,
    /// Move it: a new start, or null to put it back.
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    /// Another place, or null for the series' own.
    pub location: MaybeUndefined<String>,
    /// Another capacity, or null for the series' own.
    pub capacity: MaybeUndefined<u32>,
    /// A note for this occurrence only; at most 2000 characters.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct SignupRequestArgs {
    pub occurrence_id: Uuid,
    /// The occurrence's series (recommended: spares the server a search).
    pub series_id: Option<Uuid>,
    /// The occurrence's original start (recommended, with `series_id`).
    pub original_start: Option<DateTime<Utc>>,
    /// Seats for the volunteer and companions, 1 to 4 (default 1).
    pub party_size: Option<u32>,
    /// Sign up a resident without a smartphone (group leaders and admins).
    pub on_behalf_of: Option<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct SignupCancelArgs {
    pub occurrence_id: Uuid,
    pub series_id: Option<Uuid>,
    pub original_start: Option<DateTime<Utc>>,
    /// Cancel for another resident (group leaders and admins).
    pub on_behalf_of: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AttendanceStatus {
    Present,
    Absent,
    Excused,
}

impl AttendanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceStatus::Present => "present",
            AttendanceStatus::Absent => "absent",
            AttendanceStatus::Excused => "excused",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "present" => AttendanceStatus::Present,
            "excused" => AttendanceStatus::Excused,
            _ => AttendanceStatus::Absent,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct AttendanceMarkArgs {
    pub occurrence_id: Uuid,
    pub series_id: Option<Uuid>,
    pub original_start: Option<DateTime<Utc>>,
    /// The volunteer.
    pub user_id: Uuid,
    pub status: AttendanceStatus,
    /// Service hours (0 to 24); default the session's length when present, else 0.
    pub hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct GroupData {
    pub id: Uuid,
    pub name: String,
    pub kind: GroupKind,
    #[oai(skip_serializing_if_is_none)]
    pub contact_leader_id: Option<Uuid>,
    pub description: String,
    pub venue: String,
    pub is_open: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct MembershipData {
    pub id: Uuid,
    pub group_id: Uuid,
    pub resident_id: Uuid,
    pub role: MemberRole,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct SeriesData {
    pub id: Uuid,
    pub group_id: Uuid,
    pub title: String,
    pub description: String,
    pub location: String,
    /// The first occurrence's local start, `YYYY-MM-DDTHH:MM:SS`.
    pub start_local: String,
    pub timezone: String,
    /// Absent: a single session.
    #[oai(skip_serializing_if_is_none)]
    pub rrule: Option<String>,
    pub duration_minutes: u32,
    /// Absent: unlimited.
    #[oai(skip_serializing_if_is_none)]
    pub capacity: Option<u32>,
    pub notes: String,
    #[oai(skip_serializing_if_is_none)]
    pub signup_opens_days_before: Option<u32>,
    pub signup_closes_minutes_before: u32,
    pub cancel_cutoff_minutes_before: u32,
    pub waitlist_limit: u32,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct OccurrenceOverrideData {
    /// The occurrence id.
    pub id: Uuid,
    pub series_id: Uuid,
    pub original_start: DateTime<Utc>,
    pub cancelled: bool,
    #[oai(skip_serializing_if_is_none)]
    pub starts_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub location: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub capacity: Option<u32>,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SignupStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
    /// The occurrence was cancelled or no longer exists.
    OccurrenceCancelled,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct SignupData {
    pub id: Uuid,
    pub occurrence_id: Uuid,
    pub series_id: Uuid,
    pub original_start: DateTime<Utc>,
    pub resident_id: Uuid,
    pub party_size: u32,
    pub status: SignupStatus,
    /// With `waitlisted`: 1 for the head of the waitlist.
    #[oai(skip_serializing_if_is_none)]
    pub waitlist_position: Option<u32>,
    pub display_name: String,
    /// Only for the group's leaders, to call the volunteer.
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct OccurrenceTallyData {
    /// The occurrence id.
    pub id: Uuid,
    pub series_id: Uuid,
    pub original_start: DateTime<Utc>,
    /// Seats confirmed.
    pub confirmed: u32,
    /// People waiting.
    pub waitlisted: u32,
    /// Absent: unlimited.
    #[oai(skip_serializing_if_is_none)]
    pub capacity: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct AttendanceData {
    pub id: Uuid,
    pub occurrence_id: Uuid,
    pub series_id: Uuid,
    pub original_start: DateTime<Utc>,
    pub resident_id: Uuid,
    pub status: AttendanceStatus,
    pub hours: f64,
}

change!(
    /// A volunteer group was created or changed (`put`), or deleted.
    GroupChange(GroupData)
);
change!(
    /// A membership became visible or changed (`put`), or ended or became invisible (`delete`).
    MembershipChange(MembershipData)
);
change!(
    /// A series was created or changed (`put`), or deleted.
    SeriesChange(SeriesData)
);
change!(
    /// An occurrence was changed by an override (`put`), or the override was cleared.
    OccurrenceOverrideChange(OccurrenceOverrideData)
);
change!(
    /// A sign-up the caller may see was made or changed (`put`), or is no longer visible.
    SignupChange(SignupData)
);
change!(
    /// An occurrence's seat counts changed.
    OccurrenceTallyChange(OccurrenceTallyData)
);
change!(
    /// Attendance the caller may see was marked (`put`), or is no longer visible.
    AttendanceChange(AttendanceData)
);
