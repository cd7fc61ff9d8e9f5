//! What an app declares to the engine, and what the engine hands back.
//!
//! The engine knows clients, mutation ids, versions, cursors and pokes; it knows no entity.
//! An app (linli's is `App`, in the `features` module) tells it, once, through [`SyncApp`]:
//! - its **mutations**: one union, each variant a capability's type implementing [`Handler`]
//!   (name, whether it can change roles, and how it is applied inside the engine's
//!   transaction), like Replicache's mutators map;
//! - its **changes**: one union, the encoding of the rows of its synced tables;
//! - its **tables**: one [`FeedTable`](super::feed::FeedTable) per synced entity, saying who
//!   may see its rows (public to the community, or personal), like PowerSync's buckets;
//! - its **mutation codes**: the engine's own ([`EngineCode`]) plus the capabilities';
//! - how roles are read and how they widen what a resident sees ([`SyncApp::scope_of`]).
//!
//! The unions must stay single discriminated `oneOf`s in the OpenAPI document (generated SDKs
//! decode them as closed unions), so they are assembled by one declaration, [`sync_app!`]
//! (crate::sync_app), which also writes the dispatch, the names, the codes' wire forms and
//! compile-time checks that each `"wire.name"` agrees with its handler.

use std::fmt::Debug;

use chrono::{DateTime, Utc};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use uuid::Uuid;

use super::feed::FeedTable;
use super::scope::SyncScope;
use crate::domain::FieldError;
use crate::domain::hlc::Stamp;
use crate::domain::permissions::{Actor, Grant};

/// An app's synced schema, as the engine sees it.
pub trait SyncApp: Send + Sync + Sized + 'static {
    /// The union of every capability's mutations.
    type Mutation: AppMutation<Self>;
    /// The union of every synced entity's change.
    type Change: Clone + Debug + PartialEq + Send + Sync + ToJSON + ParseFromJSON + 'static;
    /// Why a mutation was rejected, or a note on one that was applied.
    type Code: Code;

    /// The sync schema this server speaks; clients send theirs with every call.
    const SCHEMA_VERSION: u32;
    /// The oldest client schema still served; older clients must upgrade.
    const MIN_SCHEMA_VERSION: u32;

    /// Every synced table, as its capability registered it.
    fn tables() -> Vec<Box<dyn FeedTable<Self>>>;

    /// What widens a resident's sight of personal rows beyond their own.
    fn scope_of(actor: &Actor) -> SyncScope;

    /// Every role `resident` holds, as `conn` sees them.
    fn grants_of<C: ConnectionTrait>(
        conn: &C,
        resident: Uuid,
    ) -> impl Future<Output = Result<Vec<Grant>, DbErr>> + Send;

    /// The wire name of the entity a change is about.
    fn entity_of(change: &Self::Change) -> &'static str;
}

/// What the engine reads of any pushed mutation.
pub trait Envelope {
    fn id(&self) -> u64;
    fn hlc(&self) -> &str;
    fn name(&self) -> &'static str;
}

/// The app's mutation union (written by [`sync_app!`](crate::sync_app)).
pub trait AppMutation<A: SyncApp>:
    Envelope + Clone + Debug + Send + Sync + ParseFromJSON + ToJSON + 'static
{
    /// It may change who holds which role: the engine reads the actor again after it.
    fn changes_roles(&self) -> bool;
    fn apply<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ctx: &'a Ctx<'a>,
    ) -> impl Future<Output = Result<Outcome<A>, DbErr>> + Send + 'a;
}

/// One kind of mutation, as a capability implements it.
pub trait Handler<A: SyncApp>: Sync {
    /// Its `name` on the wire, like `group.create`.
    const NAME: &'static str;
    /// Applying it may change who holds which role.
    const CHANGES_ROLES: bool = false;

    /// Decides and applies it inside the push's transaction, which holds the community's
    /// write lock. Everything it writes is stamped with a version from
    /// [`bump_version`](super::write::bump_version); a rejection writes nothing.
    fn apply<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ctx: &'a Ctx<'a>,
    ) -> impl Future<Output = Result<Outcome<A>, DbErr>> + Send + 'a;
}

/// A mutation code: the engine's, or one a capability added (written by
/// [`sync_app!`](crate::sync_app)).
pub trait Code:
    Copy + Debug + PartialEq + Send + Sync + ToJSON + ParseFromJSON + From<EngineCode> + 'static
{
    fn as_str(self) -> &'static str;
    /// The code with this wire name, if this build knows it.
    fn parse(s: &str) -> Option<Self>;
    /// The sync schema version the code arrived in: an older app is not sent it.
    fn since_schema(self) -> u32;
}

/// The codes the engine itself gives, or that every capability shares. They come first in
/// the app's code enum, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineCode {
    /// Unknown `name`, or `args` or `hlc` that cannot be read.
    InvalidMutation,
    /// A field is out of bounds; `message` names it.
    ValidationFailed,
    /// Not allowed for this resident.
    Forbidden,
    /// The object does not exist (or is not visible).
    NotFound,
    /// The object was deleted; deletes win.
    Deleted,
    /// The id is taken by another kind of object or another community.
    Conflict,
    /// Applied, but the phone's clock was too far ahead.
    ClockAdjusted,
    /// Processed long ago; its result is no longer kept.
    AlreadyProcessed,
}

// (No doc comment: it would become the schema's description in the committed document.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum MutationStatus {
    /// Accepted and merged. (A field edit that lost to a later one is still `applied`.)
    Applied,
    /// Refused for good; drop it from the queue and show `message`.
    Rejected,
}

/// Who is writing, and when.
pub struct Ctx<'a> {
    pub actor: &'a Actor,
    pub stamp: Stamp,
    pub now: DateTime<Utc>,
}

/// What became of a mutation.
pub struct Outcome<A: SyncApp> {
    pub status: MutationStatus,
    pub code: Option<A::Code>,
    pub message: Option<String>,
    pub data: Option<A::Change>,
    /// The version its writes were stamped with, if it wrote anything.
    pub version: Option<i64>,
    /// A privileged action to append to the audit log, in the same transaction.
    pub audit: Option<crate::persistence::audit::Entry>,
}

// Derives would demand `A: Clone`/`Debug` of the app marker itself.
impl<A: SyncApp> Clone for Outcome<A> {
    fn clone(&self) -> Self {
        Self {
            status: self.status,
            code: self.code,
            message: self.message.clone(),
            data: self.data.clone(),
            version: self.version,
            audit: self.audit.clone(),
        }
    }
}

impl<A: SyncApp> Debug for Outcome<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcome")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("data", &self.data)
            .field("version", &self.version)
            .finish()
    }
}

impl<A: SyncApp> Outcome<A> {
    pub fn applied(data: Option<A::Change>, version: Option<i64>) -> Self {
        Self {
            status: MutationStatus::Applied,
            code: None,
            message: None,
            data,
            version,
            audit: None,
        }
    }

    /// Applied, and to be recorded in the audit log.
    pub fn audited(
        mut self,
        action: &'static str,
        object: Option<Uuid>,
        detail: impl Into<String>,
    ) -> Self {
        if self.status == MutationStatus::Applied {
            self.audit = Some(crate::persistence::audit::Entry {
                action,
                object,
                detail: detail.into(),
            });
        }
        self
    }

    pub fn rejected(
        code: impl Into<A::Code>,
        message: impl Into<String>,
        data: Option<A::Change>,
    ) -> Self {
        Self {
            status: MutationStatus::Rejected,
            code: Some(code.into()),
            message: Some(message.into()),
            data,
            version: None,
            audit: None,
        }
    }

    pub fn invalid(e: FieldError) -> Self {
        Self::rejected(EngineCode::ValidationFailed, e.to_string(), None)
    }
}

/// `Err(outcome)` ends the mutation with that outcome (boxed: outcomes are large).
pub type Decision<A, T> = Result<T, Box<Outcome<A>>>;

/// Compile-time string equality, for [`sync_app!`](crate::sync_app)'s checks.
pub const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Assembles an app from its capabilities' parts: the mutation and change unions (each one
/// discriminated `oneOf`), the code enum (the engine's codes first), the dispatch, and
/// compile-time checks that every `"wire.name"` here is its handler's `NAME`.
#[macro_export]
macro_rules! sync_app {
    (
        $(#[$mdoc:meta])*
        pub enum $mutation:ident {
            $($mname:literal => $mvar:ident($mty:ty),)*
        }
        $(#[$cdoc:meta])*
        pub enum $change:ident {
            $($cname:literal => $cvar:ident($cty:ty),)*
        }
        $(#[$kdoc:meta])*
        pub enum $code:ident {
            $($(#[$kvdoc:meta])* $kvar:ident = $kname:literal $(since $ksince:literal)?,)*
        }
    ) => {
        $(#[$mdoc])*
        #[derive(Debug, Clone, poem_openapi::Union)]
        #[oai(discriminator_name = "name", one_of)]
        pub enum $mutation {
            $(#[oai(mapping = $mname)] $mvar($mty),)*
        }

        // Each literal above is its handler's name: checked when the crate compiles.
        $(const _: () = assert!(
            $crate::sync::registry::same_name(
                $mname,
                <$mty as $crate::sync::registry::Handler<App>>::NAME
            ),
            concat!("the mapping ", $mname, " is not its handler's NAME")
        );)*

        impl $crate::sync::registry::Envelope for $mutation {
            fn id(&self) -> u64 {
                match self { $(Self::$mvar(m) => m.id,)* }
            }
            fn hlc(&self) -> &str {
                match self { $(Self::$mvar(m) => &m.hlc,)* }
            }
            fn name(&self) -> &'static str {
                match self {
                    $(Self::$mvar(_) => <$mty as $crate::sync::registry::Handler<App>>::NAME,)*
                }
            }
        }

        impl $crate::sync::registry::AppMutation<App> for $mutation {
            fn changes_roles(&self) -> bool {
                match self {
                    $(Self::$mvar(_) =>
                        <$mty as $crate::sync::registry::Handler<App>>::CHANGES_ROLES,)*
                }
            }
            async fn apply<'a>(
                &'a self,
                txn: &'a sea_orm::DatabaseTransaction,
                ctx: &'a $crate::sync::registry::Ctx<'a>,
            ) -> Result<$crate::sync::registry::Outcome<App>, sea_orm::DbErr> {
                match self {
                    $(Self::$mvar(m) =>
                        <$mty as $crate::sync::registry::Handler<App>>::apply(m, txn, ctx).await,)*
                }
            }
        }

        $(#[$cdoc])*
        #[derive(Debug, Clone, PartialEq, poem_openapi::Union)]
        #[oai(discriminator_name = "entity", one_of)]
        pub enum $change {
            $(#[oai(mapping = $cname)] $cvar($cty),)*
        }

        impl $change {
            /// The wire name of the entity this change is about.
            pub fn entity(&self) -> &'static str {
                match self { $(Self::$cvar(_) => $cname,)* }
            }

            /// The id of the object this change is about.
            pub fn id(&self) -> uuid::Uuid {
                match self { $(Self::$cvar(c) => c.id,)* }
            }

            /// Every entity name the union carries.
            pub const ENTITIES: &'static [&'static str] = &[$($cname,)*];
        }

        $(#[$kdoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
        #[oai(rename_all = "snake_case")]
        pub enum $code {
            InvalidMutation,
            ValidationFailed,
            Forbidden,
            NotFound,
            Deleted,
            Conflict,
            ClockAdjusted,
            AlreadyProcessed,
            $($(#[$kvdoc])* $kvar,)*
        }

        impl $code {
            /// Every code, in the document's order.
            pub const ALL: &'static [$code] = &[
                Self::InvalidMutation,
                Self::ValidationFailed,
                Self::Forbidden,
                Self::NotFound,
                Self::Deleted,
                Self::Conflict,
                Self::ClockAdjusted,
                Self::AlreadyProcessed,
                $(Self::$kvar,)*
            ];
        }

        impl From<$crate::sync::registry::EngineCode> for $code {
            fn from(c: $crate::sync::registry::EngineCode) -> Self {
                use $crate::sync::registry::EngineCode as E;
                match c {
                    E::InvalidMutation => Self::InvalidMutation,
                    E::ValidationFailed => Self::ValidationFailed,
                    E::Forbidden => Self::Forbidden,
                    E::NotFound => Self::NotFound,
                    E::Deleted => Self::Deleted,
                    E::Conflict => Self::Conflict,
                    E::ClockAdjusted => Self::ClockAdjusted,
                    E::AlreadyProcessed => Self::AlreadyProcessed,
                }
            }
        }

        impl $crate::sync::registry::Code for $code {
            fn as_str(self) -> &'static str {
                match self {
                    Self::InvalidMutation => "invalid_mutation",
                    Self::ValidationFailed => "validation_failed",
                    Self::Forbidden => "forbidden",
                    Self::NotFound => "not_found",
                    Self::Deleted => "deleted",
                    Self::Conflict => "conflict",
                    Self::ClockAdjusted => "clock_adjusted",
                    Self::AlreadyProcessed => "already_processed",
                    $(Self::$kvar => $kname,)*
                }
            }

            fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == s)
            }

            fn since_schema(self) -> u32 {
                match self {
                    $($(Self::$kvar => $ksince,)?)*
                    _ => 1,
                }
            }
        }
    };
}
