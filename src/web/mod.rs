//! What every endpoint is built from, whichever part of the API it belongs to: the one error
//! type and its problem+json mapping ([`error`]), the shared state a handler reads
//! ([`Core`]), and the permission verdict as an answer ([`authorize`]). The capabilities'
//! REST reads and the HTTP layer's own endpoints both stand on it; it stands on the
//! persistence layer and the shared rules, and knows no capability.

pub mod error;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::auth::tokens::Claims;
use crate::domain::permissions::{Actor, Grant, Verdict};
use crate::persistence;
use crate::sync::write::WriteGate;
use error::ApiError;

/// Reads every role a resident holds (the app's roles: `crate::features::App`'s).
pub type GrantsOf =
    for<'a> fn(&'a DatabaseConnection, Uuid) -> BoxFuture<'a, Result<Vec<Grant>, DbErr>>;

/// What every handler can reach.
#[derive(Clone)]
pub struct Core {
    pub db: DatabaseConnection,
    /// Turns at writing on SQLite (see `sync::write`): take one around every write that is
    /// not a push.
    pub write_gate: Arc<WriteGate>,
    /// How a resident's roles are read.
    pub grants_of: GrantsOf,
}

impl Core {
    /// The caller as the permission rules see them: identity, community and roles.
    /// A token for a resident who no longer exists is treated as no token at all.
    pub async fn actor(&self, claims: &Claims) -> Result<Actor, ApiError> {
        self.actor_by_id(claims.sub).await
    }

    pub async fn actor_by_id(&self, resident_id: Uuid) -> Result<Actor, ApiError> {
        // Two independent reads: ask both at once (grants of an unknown id are simply none).
        let (resident, grants) = tokio::try_join!(
            persistence::residents::find_active(&self.db, resident_id),
            (self.grants_of)(&self.db, resident_id),
        )?;
        let resident = resident.ok_or(ApiError::Unauthorized)?;
        Ok(Actor {
            resident_id: resident.id,
            community_id: resident.community_id,
            grants,
        })
    }
}

/// Turns a permission verdict into the answer the client gets: objects outside the caller's
/// community are reported as missing, so their existence does not leak.
pub fn authorize(verdict: Verdict, what: &'static str) -> Result<(), ApiError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::Forbidden => Err(ApiError::Forbidden),
        Verdict::Invisible => Err(ApiError::NotFound(what)),
    }
}
