//! What can go wrong in the engine, before the HTTP layer says it as problem+json
//! (`crate::web::error` maps each variant once).

use sea_orm::DbErr;

use crate::domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The caller is not (or no longer) a resident.
    #[error("missing or invalid access token")]
    Unauthorized,
    /// A field of the request is out of bounds.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("the sync client belongs to another resident")]
    ClientNotOwned,
    #[error("mutation gap; expected {expected}")]
    MutationGap { expected: u64 },
    /// A pushed mutation the server cannot read; nothing of the push was applied.
    #[error("mutation {mutation_id} cannot be read: {reason}")]
    InvalidMutation {
        mutation_id: u64,
        reason: String,
        /// The schema this server speaks, for the message.
        schema_version: u32,
    },
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    #[error("resync required")]
    ResyncRequired,
    #[error("client upgrade required (minimum schema {minimum})")]
    UpgradeRequired { minimum: u32 },
    /// Too many pushes wait for the writer, or the database is unreachable: retry later.
    #[error("unavailable: {0}")]
    Unavailable(DbErr),
    /// The database's disk is full: nothing was written; retry once space is freed.
    #[error("storage full: {0}")]
    StorageFull(DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbErr> for SyncError {
    fn from(err: DbErr) -> Self {
        if crate::persistence::is_storage_full(&err) {
            SyncError::StorageFull(err)
        } else if crate::persistence::is_transient(&err) {
            SyncError::Unavailable(err)
        } else {
            SyncError::Internal(err.into())
        }
    }
}
