//! # Attachments: photos taken offline, their bytes sent when the data allows
//!
//! A grid worker photographs a pile of rubbish at a staircase with no signal. The phone makes
//! the photo's id and the SHA-256 of its bytes at once, and names them ([`wire::PhotoArgs`])
//! in the mutation that adds them to their owner (a log entry, a case); that mutation syncs
//! like any other. The bytes follow separately, in chunks, over `PUT /api/v1/attachments/
//! {id}`, whenever the link allows, resuming where they stopped. Until the last byte
//! arrives and checks out, the photo is `pending` on every phone that sees its owner, never
//! an error; then it is `ready` (or `refused`, with the reason, if it was no picture).
//!
//! How the pieces fit:
//! - [`declare`] (called by an owner's mutation handler, inside its transaction) records the
//!   photos and returns them for the owner's row, which carries them to phones: a photo is
//!   seen exactly by those who see its owner, with no table or rule of its own to drift;
//! - [`http`]: the upload (chunks, hash check, refusal) and the reads, which ask the owner's
//!   capability whether the caller sees the owner (`crate::features::owner_sees`);
//! - [`photo`]: sniffing, decoding, stripping metadata (EXIF and GPS above all) and the
//!   thumbnail, as plain functions; [`store`]: the object store (a folder or S3);
//! - [`entity`]: the server's record of each photo; [`wire`]: the contract.
//!
//! When a photo settles, the upload re-stamps its owner's row in the same transaction
//! (`crate::features::photos_changed`), so phones at the head learn of it on their next
//! pull, and the owner's row says which photos are ready.

pub mod entity;
pub mod http;
pub mod photo;
pub mod store;
pub mod wire;

use std::collections::HashSet;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::domain::FieldError;
use crate::features::{Ctx, Outcome};
use wire::{PhotoArgs, PhotoData, PhotoState};

pub use store::Store;

/// At most this many photos on one object (as many as a WeChat moment holds).
pub const MAX_PHOTOS: usize = 9;

/// What a photo may belong to; each owning capability answers who sees it (see
/// `crate::features::owner_sees`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    /// A grid worker's log entry.
    LogEntry,
    /// A case (its report, or a note on its timeline).
    Case,
    /// An announcement.
    Announcement,
    /// A crowdfunding campaign.
    Campaign,
    /// A campaign's ledger entry (an expense's receipt).
    LedgerEntry,
}

impl OwnerKind {
    pub const ALL: [Self; 5] = [
        Self::LogEntry,
        Self::Case,
        Self::Announcement,
        Self::Campaign,
        Self::LedgerEntry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LogEntry => "log_entry",
            Self::Case => "case",
            Self::Announcement => "announcement",
            Self::Campaign => "campaign",
            Self::LedgerEntry => "ledger_entry",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl PhotoState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Ready, Self::Refused]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Records `photos` as the owner's (after those it has), each pending; the owner's photos
/// as its row should carry them, or the outcome refusing the mutation. A photo named again
/// for the same owner (a phone re-sending an edit) is not recorded twice; a photo id used
/// for anything else is refused.
pub(crate) async fn declare(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    kind: OwnerKind,
    owner: Uuid,
    photos: &[PhotoArgs],
) -> Result<Result<Vec<PhotoData>, Outcome>, DbErr> {
    let invalid = |why: &str| Ok(Err(Outcome::invalid(FieldError::new("photos", why))));
    let mut ids = HashSet::new();
    if !photos.iter().all(|p| ids.insert(p.id)) {
        return invalid("the same photo is named twice");
    }
    let had = photos_of(txn, kind, owner).await?;
    if had.len()
        + photos
            .iter()
            .filter(|p| !had.iter().any(|h| h.id == p.id))
            .count()
        > MAX_PHOTOS
    {
        return invalid(&format!("at most {MAX_PHOTOS} photos"));
    }
    let taken = entity::Entity::find()
        .filter(entity::Column::Id.is_in(ids.iter().copied()))
        .all(txn)
        .await?;
    if taken
        .iter()
        .any(|t| t.owner_id != owner || t.owner_kind != kind.as_str())
    {
        return invalid("a photo id is already used for something else: make a new one");
    }
    let first = i32::try_from(had.len()).unwrap_or(0);
    let new = photos
        .iter()
        .filter(|p| !taken.iter().any(|t| t.id == p.id));
    for (p, position) in new.zip(first..) {
        entity::Entity::insert(entity::ActiveModel {
            id: Set(p.id),
            community_id: Set(ctx.actor.community_id),
            owner_kind: Set(kind.as_str().to_owned()),
            owner_id: Set(owner),
            position: Set(position),
            uploaded_by: Set(ctx.actor.resident_id),
            sha256: Set(p.sha256.clone()),
            size: Set(i64::try_from(p.size).unwrap_or(i64::MAX)),
            state: Set(PhotoState::Pending.as_str().to_owned()),
            refusal: Set(None),
            refusal_code: Set(None),
            content_type: Set(None),
            stored_size: Set(0),
            width: Set(0),
            height: Set(0),
            created_at: Set(ctx.now),
            stored_at: Set(None),
            deleted_at: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
    }
    Ok(Ok(photos_of(txn, kind, owner).await?))
}

/// An owner's photos, in the order they were added.
pub async fn photos_of(
    conn: &impl ConnectionTrait,
    kind: OwnerKind,
    owner: Uuid,
) -> Result<Vec<PhotoData>, DbErr> {
    Ok(entity::Entity::find()
        .filter(entity::Column::OwnerKind.eq(kind.as_str()))
        .filter(entity::Column::OwnerId.eq(owner))
        .filter(entity::Column::DeletedAt.is_null())
        .order_by_asc(entity::Column::Position)
        .all(conn)
        .await?
        .iter()
        .map(data)
        .collect())
}

/// A photo as phones see it.
pub fn data(a: &entity::Model) -> PhotoData {
    let state = PhotoState::parse(&a.state).unwrap_or(PhotoState::Pending);
    let ready = state == PhotoState::Ready;
    PhotoData {
        id: a.id,
        state,
        size: u64::try_from(a.size).unwrap_or(0),
        content_type: a.content_type.clone().filter(|_| ready),
        width: ready.then(|| u32::try_from(a.width).unwrap_or(0)),
        height: ready.then(|| u32::try_from(a.height).unwrap_or(0)),
        refusal: a.refusal.clone(),
    }
}

/// The photos as an owner's row stores them.
pub fn to_column(photos: &[PhotoData]) -> String {
    serde_json::to_string(photos).unwrap_or_else(|_| "[]".into())
}

/// The photos an owner's row stores.
pub fn from_column(column: &str) -> Vec<PhotoData> {
    serde_json::from_str(column).unwrap_or_default()
}
