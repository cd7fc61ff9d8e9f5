//! The sync protocol's wire types, as the OpenAPI document describes them. Mutations are a
//! `oneOf` discriminated by `name`, changes a `oneOf` discriminated by `entity`, so generated
//! SDKs get one typed class per mutation kind and per entity.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{MaybeUndefined, ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{Enum, Object, Union};
use serde_json::Value;
use uuid::Uuid;

/// The largest mutation id: 2^53 - 1, so that JavaScript clients represent every id exactly.
/// (The validator below spells it out: poem-openapi takes only literals there.)
pub const MAX_MUTATION_ID: u64 = 9_007_199_254_740_991;

/// Declares a mutation: its envelope (`id`, `hlc`) around its `args`.
macro_rules! mutation {
    ($(#[$doc:meta])* $name:ident($args:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Object)]
        pub struct $name {
            /// This client's mutation id: 1 for its first mutation, then one more each time.
            #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
            pub id: u64,
            /// The phone's hybrid logical clock when the edit was made, like
            /// `2026-11-29T08:20:37.808Z-0001`.
            pub hlc: String,
            pub args: $args,
        }
    };
}

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

/// One offline edit, named by `name`.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "name", one_of)]
pub enum Mutation {
    #[oai(mapping = "group.create")]
    GroupCreate(GroupCreateMutation),
    #[oai(mapping = "group.update")]
    GroupUpdate(GroupUpdateMutation),
    #[oai(mapping = "group.delete")]
    GroupDelete(GroupDeleteMutation),
    #[oai(mapping = "group.join")]
    GroupJoin(GroupJoinMutation),
    #[oai(mapping = "group.leave")]
    GroupLeave(GroupLeaveMutation),
    #[oai(mapping = "member.set_role")]
    MemberSetRole(MemberSetRoleMutation),
    #[oai(mapping = "series.create")]
    SeriesCreate(SeriesCreateMutation),
    #[oai(mapping = "series.update")]
    SeriesUpdate(SeriesUpdateMutation),
    #[oai(mapping = "series.delete")]
    SeriesDelete(SeriesDeleteMutation),
    #[oai(mapping = "occurrence.override")]
    OccurrenceOverride(OccurrenceOverrideMutation),
    #[oai(mapping = "occurrence.clear_override")]
    OccurrenceClearOverride(OccurrenceClearOverrideMutation),
    #[oai(mapping = "signup.request")]
    SignupRequest(SignupRequestMutation),
    #[oai(mapping = "signup.cancel")]
    SignupCancel(SignupCancelMutation),
    #[oai(mapping = "attendance.mark")]
    AttendanceMark(AttendanceMarkMutation),
}

/// Expands to `$body` with `$m` bound to whichever mutation `$self` is.
macro_rules! each_mutation {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            Mutation::GroupCreate($m) => $body,
            Mutation::GroupUpdate($m) => $body,
            Mutation::GroupDelete($m) => $body,
            Mutation::GroupJoin($m) => $body,
            Mutation::GroupLeave($m) => $body,
            Mutation::MemberSetRole($m) => $body,
            Mutation::SeriesCreate($m) => $body,
            Mutation::SeriesUpdate($m) => $body,
            Mutation::SeriesDelete($m) => $body,
            Mutation::OccurrenceOverride($m) => $body,
            Mutation::OccurrenceClearOverride($m) => $body,
            Mutation::SignupRequest($m) => $body,
            Mutation::SignupCancel($m) => $body,
            Mutation::AttendanceMark($m) => $body,
        }
    };
}

impl Mutation {
    pub fn id(&self) -> u64 {
        each_mutation!(self, m => m.id)
    }

    pub fn hlc(&self) -> &str {
        each_mutation!(self, m => &m.hlc)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Mutation::GroupCreate(_) => "group.create",
            Mutation::GroupUpdate(_) => "group.update",
            Mutation::GroupDelete(_) => "group.delete",
            Mutation::GroupJoin(_) => "group.join",
            Mutation::GroupLeave(_) => "group.leave",
            Mutation::MemberSetRole(_) => "member.set_role",
            Mutation::SeriesCreate(_) => "series.create",
            Mutation::SeriesUpdate(_) => "series.update",
            Mutation::SeriesDelete(_) => "series.delete",
            Mutation::OccurrenceOverride(_) => "occurrence.override",
            Mutation::OccurrenceClearOverride(_) => "occurrence.clear_override",
            Mutation::SignupRequest(_) => "signup.request",
            Mutation::SignupCancel(_) => "signup.cancel",
            Mutation::AttendanceMark(_) => "attendance.mark",
        }
    }
}

/// A pushed mutation as received. One the server cannot read (an unknown `name` from a newer
/// app, malformed `args`) is kept with its id, so that the push can be refused with
/// `400 invalid_mutation` naming it rather than with a bare parse error.
#[derive(Debug, Clone)]
pub enum PushedMutation {
    Known(Box<Mutation>),
    Unreadable {
        id: u64,
        name: String,
        reason: String,
    },
}

impl PushedMutation {
    pub fn id(&self) -> u64 {
        match self {
            PushedMutation::Known(m) => m.id(),
            PushedMutation::Unreadable { id, .. } => *id,
        }
    }
}

impl Type for PushedMutation {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        <Mutation as Type>::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        <Mutation as Type>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <Mutation as Type>::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for PushedMutation {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        match Mutation::parse_from_json(Some(value.clone())) {
            Ok(m) => Ok(PushedMutation::Known(Box::new(m))),
            Err(err) => {
                let id = value
                    .get("id")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| ParseError::custom("every mutation needs an integer `id`"))?;
                let name = value
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Ok(PushedMutation::Unreadable {
                    id,
                    name: name.chars().take(64).collect(),
                    reason: err.into_message(),
                })
            }
        }
    }
}

impl ToJSON for PushedMutation {
    fn to_json(&self) -> Option<Value> {
        match self {
            PushedMutation::Known(m) => m.to_json(),
            PushedMutation::Unreadable { id, name, .. } => {
                Some(serde_json::json!({"id": id, "name": name}))
            }
        }
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ChangeOp {
    Put,
    Delete,
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

/// Declares a change of one entity kind.
macro_rules! change {
    ($(#[$doc:meta])* $name:ident($data:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Object)]
        pub struct $name {
            pub id: Uuid,
            pub op: ChangeOp,
            /// The object's current state; absent for deletes.
            #[oai(skip_serializing_if_is_none)]
            pub data: Option<$data>,
        }
    };
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

/// One object's new state, named by `entity`. Apply in order: `put` replaces the object,
/// `delete` removes it (deleting an unknown id is a no-op).
#[derive(Debug, Clone, PartialEq, Union)]
#[oai(discriminator_name = "entity", one_of)]
pub enum Change {
    #[oai(mapping = "group")]
    Group(GroupChange),
    #[oai(mapping = "membership")]
    Membership(MembershipChange),
    #[oai(mapping = "series")]
    Series(SeriesChange),
    #[oai(mapping = "occurrence_override")]
    OccurrenceOverride(OccurrenceOverrideChange),
    #[oai(mapping = "signup")]
    Signup(SignupChange),
    #[oai(mapping = "occurrence_tally")]
    OccurrenceTally(OccurrenceTallyChange),
    #[oai(mapping = "attendance")]
    Attendance(AttendanceChange),
}

impl Change {
    pub fn id(&self) -> Uuid {
        match self {
            Change::Group(c) => c.id,
            Change::Membership(c) => c.id,
            Change::Series(c) => c.id,
            Change::OccurrenceOverride(c) => c.id,
            Change::Signup(c) => c.id,
            Change::OccurrenceTally(c) => c.id,
            Change::Attendance(c) => c.id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MutationStatus {
    /// Accepted and merged. (A field edit that lost to a later one is still `applied`.)
    Applied,
    /// Refused for good; drop it from the queue and show `message`.
    Rejected,
}

/// Why a mutation was rejected, or a note on one that was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MutationCode {
    /// Unknown `name`, or `args` or `hlc` that cannot be read.
    InvalidMutation,
    /// A field is out of bounds; `message` names it.
    ValidationFailed,
    /// Not allowed for this resident.
    Forbidden,
    /// The object does not exist (or is not visible).
    NotFound,
    /// The object was deleted; deletes win. `data` is the tombstone.
    Deleted,
    /// The id is taken by another kind of object or another community.
    Conflict,
    /// Applied, but the phone's clock was too far ahead, so the edit was stamped with the
    /// server's time. Set the phone's clock right.
    ClockAdjusted,
    /// Processed long ago; its result is no longer kept.
    AlreadyProcessed,
    /// Sign-ups for this occurrence have not opened yet.
    SignupsNotOpen,
    /// Sign-ups for this occurrence have closed.
    SignupsClosed,
    /// The occurrence is full and so is its waitlist.
    WaitlistFull,
    /// Too close to the start to cancel.
    PastCutoff,
    /// The occurrence was cancelled or no longer exists.
    OccurrenceCancelled,
}

impl MutationCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidMutation => "invalid_mutation",
            Self::ValidationFailed => "validation_failed",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Deleted => "deleted",
            Self::Conflict => "conflict",
            Self::ClockAdjusted => "clock_adjusted",
            Self::AlreadyProcessed => "already_processed",
            Self::SignupsNotOpen => "signups_not_open",
            Self::SignupsClosed => "signups_closed",
            Self::WaitlistFull => "waitlist_full",
            Self::PastCutoff => "past_cutoff",
            Self::OccurrenceCancelled => "occurrence_cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::InvalidMutation,
            Self::ValidationFailed,
            Self::Forbidden,
            Self::NotFound,
            Self::Deleted,
            Self::Conflict,
            Self::ClockAdjusted,
            Self::AlreadyProcessed,
            Self::SignupsNotOpen,
            Self::SignupsClosed,
            Self::WaitlistFull,
            Self::PastCutoff,
            Self::OccurrenceCancelled,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Object)]
pub struct MutationResult {
    pub id: u64,
    pub status: MutationStatus,
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<MutationCode>,
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    // The object's state on the server after this mutation (for rejections: as it is now).
    // No doc comment: poem-openapi would wrap the `$ref` in an `allOf`, which generators read
    // as a new type without the discriminator. The struct's docs say it instead.
    #[oai(skip_serializing_if_is_none)]
    pub data: Option<Change>,
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct PushRequest {
    /// A UUID the app made at installation; bound to the first resident who pushes with it.
    pub client_id: Uuid,
    /// The app's sync schema version (currently 1).
    #[oai(validator(minimum(value = "1")))]
    pub schema_version: u32,
    /// In id order, starting at most at the last acknowledged id + 1. At most 500.
    #[oai(validator(max_items = 500))]
    pub mutations: Vec<PushedMutation>,
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct PushResponse {
    /// One result per mutation sent, in order (re-sent ones get their stored result again).
    pub results: Vec<MutationResult>,
    /// The last mutation id the server has processed for this client.
    pub last_mutation_id: u64,
    /// The server's hybrid logical clock: move the phone's clock to at least this.
    pub server_time: String,
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct PullRequest {
    pub client_id: Uuid,
    /// The app's sync schema version (currently 1).
    #[oai(validator(minimum(value = "1")))]
    pub schema_version: u32,
    /// The `cursor` of the previous pull; null for everything.
    pub cursor: Option<String>,
    /// Most changes to return: 1 to 5000, default 500.
    #[oai(validator(minimum(value = "1"), maximum(value = "5000")))]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Opaque; send it with the next pull.
    pub cursor: String,
    /// More changes are waiting: pull again at once.
    pub has_more: bool,
    /// The last of this client's mutations whose effects are included in this pull.
    pub last_mutation_id: u64,
    pub server_time: String,
}

/// Sent on the event stream when something in the community changed: pull now.
#[derive(Debug, Clone, Object)]
pub struct Poke {
    /// The community's newest change number; a pull reaches at least this far.
    pub version: u64,
}

/// Sent on the event stream every 15 seconds, so the phone knows the stream is alive.
#[derive(Debug, Clone, Object)]
pub struct Heartbeat {
    /// The server's hybrid logical clock.
    pub server_time: String,
}

/// An event on the sync event stream.
#[derive(Debug, Clone)]
pub enum SyncEvent {
    Poke(Poke),
    Heartbeat(Heartbeat),
}

impl SyncEvent {
    /// The event as Server-Sent Events frames it.
    pub fn frame(&self) -> ServerSentEvent {
        match self {
            SyncEvent::Poke(p) => ServerSentEvent {
                event: SyncEventKind::Poke,
                data: p.to_json_string(),
            },
            SyncEvent::Heartbeat(h) => ServerSentEvent {
                event: SyncEventKind::Heartbeat,
                data: h.to_json_string(),
            },
        }
    }
}

/// What an event on the sync event stream says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SyncEventKind {
    /// Something changed: pull now.
    Poke,
    /// The stream is alive.
    Heartbeat,
}

impl SyncEventKind {
    /// The SSE `event:` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Poke => "poke",
            Self::Heartbeat => "heartbeat",
        }
    }
}

/// One event of the sync event stream (`text/event-stream`), as an SSE client library hands
/// it over: the `event:` field and the `data:` field.
#[derive(Debug, Clone, Object)]
pub struct ServerSentEvent {
    pub event: SyncEventKind,
    /// JSON: a `Poke` for `poke`, a `Heartbeat` for `heartbeat`.
    pub data: String,
}

impl poem_openapi::types::Example for PushRequest {
    fn example() -> Self {
        let group = Uuid::from_u128(0x0193_a0c4_7d2e_7c61_9a57_6b1f_0e2d_4c11);
        Self {
            client_id: Uuid::from_u128(0x0193_a0c4_0000_7000_8000_0000_0000_0001),
            schema_version: 1,
            mutations: vec![
                PushedMutation::Known(Box::new(Mutation::GroupCreate(GroupCreateMutation {
                    id: 1,
                    hlc: "2026-11-29T08:20:37.808Z-0000".into(),
                    args: GroupCreateArgs {
                        id: group,
                        name: "書畫社".into(),
                        kind: Some(GroupKind::CalligraphyPainting),
                        contact_leader_id: None,
                        description: Some(
                            "Calligraphy and painting, Tuesdays and Thursdays".into(),
                        ),
                        venue: Some("Activity room 2".into()),
                        is_open: Some(true),
                    },
                }))),
                PushedMutation::Known(Box::new(Mutation::GroupJoin(GroupJoinMutation {
                    id: 2,
                    hlc: "2026-11-29T08:20:38.002Z-0000".into(),
                    args: MembershipArgs {
                        group_id: group,
                        resident_id: None,
                    },
                }))),
            ],
        }
    }
}

impl poem_openapi::types::Example for PushResponse {
    fn example() -> Self {
        Self {
            results: vec![MutationResult {
                id: 1,
                status: MutationStatus::Applied,
                code: None,
                message: None,
                data: None,
            }],
            last_mutation_id: 2,
            server_time: "2026-11-29T08:21:00.114Z-0000".into(),
        }
    }
}

impl poem_openapi::types::Example for PullRequest {
    fn example() -> Self {
        Self {
            client_id: Uuid::from_u128(0x0193_a0c4_0000_7000_8000_0000_0000_0001),
            schema_version: 1,
            cursor: None,
            limit: Some(500),
        }
    }
}

impl poem_openapi::types::Example for PullResponse {
    fn example() -> Self {
        Self {
            changes: vec![Change::Group(GroupChange {
                id: Uuid::from_u128(0x0193_a0c4_7d2e_7c61_9a57_6b1f_0e2d_4c11),
                op: ChangeOp::Put,
                data: Some(GroupData {
                    id: Uuid::from_u128(0x0193_a0c4_7d2e_7c61_9a57_6b1f_0e2d_4c11),
                    name: "書畫社".into(),
                    kind: GroupKind::CalligraphyPainting,
                    contact_leader_id: None,
                    description: "Calligraphy and painting, Tuesdays and Thursdays".into(),
                    venue: "Activity room 2".into(),
                    is_open: true,
                    created_at: DateTime::parse_from_rfc3339("2026-11-29T08:20:37.808Z")
                        .map(|t| t.to_utc())
                        .unwrap_or_default(),
                }),
            })],
            cursor: "eyJmIjoxfQ.c2lnbmF0dXJl".into(),
            has_more: false,
            last_mutation_id: 2,
            server_time: "2026-11-29T08:21:00.114Z-0000".into(),
        }
    }
}
