//! The sync protocol's wire types that belong to no capability: the envelope of a pushed
//! mutation, the pull request, the operation of a change, and the event stream's events. The
//! unions of mutations and changes, and the requests and responses that carry them, are the
//! app's: the `features` module assembles them from its capabilities.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{Enum, Object};
use serde_json::Value;
use uuid::Uuid;

use super::registry::Envelope;

/// The largest mutation id: 2^53 - 1, so that JavaScript clients represent every id exactly.
/// (The validator below spells it out: poem-openapi takes only literals there.)
pub const MAX_MUTATION_ID: u64 = 9_007_199_254_740_991;

/// Declares a mutation: its envelope (`id`, `hlc`) around its `args`.
#[macro_export]
macro_rules! mutation {
    ($(#[$doc:meta])* $name:ident($args:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, poem_openapi::Object)]
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

/// Declares a change of one entity kind.
#[macro_export]
macro_rules! change {
    ($(#[$doc:meta])* $name:ident($data:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, poem_openapi::Object)]
        pub struct $name {
            pub id: uuid::Uuid,
            pub op: $crate::sync::wire::ChangeOp,
            /// The object's current state; absent for deletes.
            #[oai(skip_serializing_if_is_none)]
            pub data: Option<$data>,
        }

        impl $name {
            /// The change that removes object `id` from a phone (deleted, or no longer
            /// visible to it).
            pub fn gone(id: uuid::Uuid) -> Self {
                Self {
                    id,
                    op: $crate::sync::wire::ChangeOp::Delete,
                    data: None,
                }
            }
        }
    };
}

/// A pushed mutation as received. One the server cannot read (an unknown `name` from a newer
/// app, malformed `args`) is kept with its id, so that the push can be refused with
/// `400 invalid_mutation` naming it rather than with a bare parse error.
#[derive(Debug, Clone)]
pub enum PushedMutation<M> {
    Known(Box<M>),
    Unreadable {
        id: u64,
        name: String,
        reason: String,
    },
}

impl<M: Envelope> PushedMutation<M> {
    pub fn id(&self) -> u64 {
        match self {
            PushedMutation::Known(m) => m.id(),
            PushedMutation::Unreadable { id, .. } => *id,
        }
    }
}

impl<M: Type + Send + Sync> Type for PushedMutation<M> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        <M as Type>::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        <M as Type>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <M as Type>::register(registry);
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

impl<M: ParseFromJSON + Send + Sync> ParseFromJSON for PushedMutation<M> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        match M::parse_from_json(Some(value.clone())) {
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

impl<M: ToJSON + Send + Sync> ToJSON for PushedMutation<M> {
    fn to_json(&self) -> Option<Value> {
        match self {
            PushedMutation::Known(m) => m.to_json(),
            PushedMutation::Unreadable { id, name, .. } => {
                Some(serde_json::json!({"id": id, "name": name}))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ChangeOp {
    Put,
    Delete,
}

impl ChangeOp {
    /// `delete` for a deleted (or no longer visible) row, else `put`.
    pub fn of(deleted: bool) -> Self {
        if deleted { Self::Delete } else { Self::Put }
    }
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
    /// Rows bound to a day (an occurrence's overrides, seat tallies, sign-ups, attendance)
    /// are synced for this many days before today: at least the server's horizon (56 by
    /// default), at most 3660. Older ones are read over REST (`GET /api/v1/occurrences`).
    #[oai(validator(maximum(value = "3660")))]
    pub horizon_days_back: Option<u32>,
    /// The same, for days after today (84 by default).
    #[oai(validator(maximum(value = "3660")))]
    pub horizon_days_ahead: Option<u32>,
}

/// The days this phone is sent rows bound to a day for (see `horizon_days_back`): rows
/// before `from` may be dropped from the phone; rows from `to` on have not been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Object)]
pub struct SyncHorizon {
    /// Midnight UTC of the first day held.
    pub from: chrono::DateTime<chrono::Utc>,
    /// Midnight UTC after the last day held.
    pub to: chrono::DateTime<chrono::Utc>,
}

impl From<super::horizon::Window> for SyncHorizon {
    fn from(w: super::horizon::Window) -> Self {
        Self {
            from: w.start(),
            to: w.end(),
        }
    }
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

impl poem_openapi::types::Example for PullRequest {
    fn example() -> Self {
        Self {
            client_id: Uuid::from_u128(0x0193_a0c4_0000_7000_8000_0000_0000_0001),
            schema_version: 1,
            cursor: None,
            limit: Some(500),
            horizon_days_back: None,
            horizon_days_ahead: None,
        }
    }
}
