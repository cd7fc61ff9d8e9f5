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

/// Declares a mutation: its envelope (`id`, `hlc`) around its `args`.
macro_rules! mutation {
    ($(#[$doc:meta])* $name:ident($args:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Object)]
        pub struct $name {
            /// This client's mutation id: 1 for its first mutation, then one more each time.
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
}

impl Mutation {
    pub fn id(&self) -> u64 {
        match self {
            Mutation::GroupCreate(m) => m.id,
            Mutation::GroupUpdate(m) => m.id,
            Mutation::GroupDelete(m) => m.id,
            Mutation::GroupJoin(m) => m.id,
            Mutation::GroupLeave(m) => m.id,
            Mutation::MemberSetRole(m) => m.id,
            Mutation::SeriesCreate(m) => m.id,
            Mutation::SeriesUpdate(m) => m.id,
            Mutation::SeriesDelete(m) => m.id,
        }
    }

    pub fn hlc(&self) -> &str {
        match self {
            Mutation::GroupCreate(m) => &m.hlc,
            Mutation::GroupUpdate(m) => &m.hlc,
            Mutation::GroupDelete(m) => &m.hlc,
            Mutation::GroupJoin(m) => &m.hlc,
            Mutation::GroupLeave(m) => &m.hlc,
            Mutation::MemberSetRole(m) => &m.hlc,
            Mutation::SeriesCreate(m) => &m.hlc,
            Mutation::SeriesUpdate(m) => &m.hlc,
            Mutation::SeriesDelete(m) => &m.hlc,
        }
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
        }
    }
}

/// A pushed mutation as received. One the server cannot read (an unknown `name` from a newer
/// app, malformed `args`) is still acknowledged, as `rejected` with `invalid_mutation`, so it
/// can never block the phone's queue; only a mutation without an integer `id` fails the push.
#[derive(Debug, Clone)]
pub enum PushedMutation {
    Known(Mutation),
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
            Ok(m) => Ok(PushedMutation::Known(m)),
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

#[derive(Debug, Clone, Object)]
pub struct GroupCreateArgs {
    /// A UUIDv7 the phone generated.
    pub id: Uuid,
    /// 1 to 80 characters.
    pub name: String,
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
    pub starts_at: DateTime<Utc>,
    /// 1 to 1440.
    pub duration_minutes: u32,
    /// Seats; absent or null for unlimited. 1 to 100000.
    pub capacity: Option<u32>,
    /// At most 2000 characters.
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct SeriesUpdateArgs {
    pub id: Uuid,
    pub title: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub duration_minutes: Option<u32>,
    /// A number of seats, or null for unlimited; absent leaves it alone.
    pub capacity: MaybeUndefined<u32>,
    pub notes: Option<String>,
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
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
    /// Absent: unlimited.
    #[oai(skip_serializing_if_is_none)]
    pub capacity: Option<u32>,
    pub notes: String,
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
}

impl Change {
    pub fn id(&self) -> Uuid {
        match self {
            Change::Group(c) => c.id,
            Change::Membership(c) => c.id,
            Change::Series(c) => c.id,
        }
    }

    pub fn entity(&self) -> &'static str {
        match self {
            Change::Group(_) => "group",
            Change::Membership(_) => "membership",
            Change::Series(_) => "series",
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
    /// The object's state on the server after this mutation (for rejections: as it is now).
    #[oai(skip_serializing_if_is_none)]
    pub data: Option<Change>,
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct PushRequest {
    /// A UUID the app made at installation; bound to the first resident who pushes with it.
    pub client_id: Uuid,
    /// The app's sync schema version (currently 1).
    pub schema_version: u32,
    /// In id order, starting at most at the last acknowledged id + 1. At most 500.
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

/// An event on the sync event stream; the SSE event type is `type`.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "type", one_of)]
pub enum SyncEvent {
    #[oai(mapping = "poke")]
    Poke(Poke),
    #[oai(mapping = "heartbeat")]
    Heartbeat(Heartbeat),
}

impl poem_openapi::types::Example for PushRequest {
    fn example() -> Self {
        let group = Uuid::from_u128(0x0193_a0c4_7d2e_7c61_9a57_6b1f_0e2d_4c11);
        Self {
            client_id: Uuid::from_u128(0x0193_a0c4_0000_7000_8000_0000_0000_0001),
            schema_version: 1,
            mutations: vec![
                PushedMutation::Known(Mutation::GroupCreate(GroupCreateMutation {
                    id: 1,
                    hlc: "2026-11-29T08:20:37.808Z-0000".into(),
                    args: GroupCreateArgs {
                        id: group,
                        name: "書畫社".into(),
                        description: Some(
                            "Calligraphy and painting, Tuesdays and Thursdays".into(),
                        ),
                        venue: Some("Activity room 2".into()),
                        is_open: Some(true),
                    },
                })),
                PushedMutation::Known(Mutation::GroupJoin(GroupJoinMutation {
                    id: 2,
                    hlc: "2026-11-29T08:20:38.002Z-0000".into(),
                    args: MembershipArgs {
                        group_id: group,
                        resident_id: None,
                    },
                })),
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
