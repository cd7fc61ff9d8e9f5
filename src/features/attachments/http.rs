//! The photo upload and reads.
//!
//! **Upload** (`PUT /api/v1/attachments/{id}`, `application/octet-stream`): the photo's
//! uploader sends its bytes, whole when they fit in one request (1 MiB), else in chunks, each
//! with `Content-Range: bytes START-END/TOTAL`. Every answer says how many bytes from the
//! start have arrived (`received`); after a dropped connection the phone asks
//! (`GET /api/v1/attachments/{id}`) and resumes there. A chunk re-sent is harmless; a chunk
//! after a gap is `upload_offset` with `resume_from`. When the last byte is in, the whole is
//! hashed: a mismatch (`hash_mismatch`) keeps nothing, so the phone starts over; bytes that
//! are no JPEG, PNG or WebP picture (`unsupported_image`), or a photo over the size cap
//! (`attachment_too_large`), are refused for good and the owner's row says so. Bytes for a
//! photo nobody declared are `attachment_undeclared`: the mutation naming it goes first.
//!
//! **Reads** check that the caller sees the photo's owner (or uploaded it): the same answer
//! the sync feed gives, from the owner's capability.

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use sea_orm::{ActiveModelTrait as _, EntityTrait, IntoActiveModel, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::photo;
use super::wire::{PhotoData, PhotoState};
use super::{OwnerKind, Store, data, entity};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::Actor;
use crate::http::AppState;
use crate::sync::write::{self, bump_version};
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult, ProblemCode};

#[derive(Tags)]
pub enum AttachmentTags {
    /// Photos attached to log entries and cases: their bytes' upload, resumable, and reads
    /// for whoever sees what they belong to.
    Attachments,
}

pub struct AttachmentsApi;

/// A photo and how far its upload stands.
#[derive(Debug, Object)]
pub struct AttachmentView {
    pub photo: PhotoData,
    /// Bytes from the start received so far (equal to `size` once ready).
    pub received: u64,
    /// What the photo belongs to: `log_entry`.
    pub owner_kind: String,
    pub owner_id: Uuid,
}

/// A photo's bytes.
#[derive(ApiResponse)]
pub enum PhotoBytes {
    /// The stripped photo (or its JPEG thumbnail); the bytes never change, so they may be
    /// kept for good.
    #[oai(status = 200)]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Type")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "ETag")] String,
    ),
}

fn refused(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> ApiError {
    ApiError::Refused {
        status,
        code,
        detail: detail.into(),
        resume_from: None,
    }
}

fn undeclared() -> ApiError {
    refused(
        StatusCode::NOT_FOUND,
        ProblemCode::AttachmentUndeclared,
        "no photo with this id is declared for you: push the change that adds it first, then its bytes",
    )
}

fn storage(e: object_store::Error) -> ApiError {
    ApiError::Internal(anyhow::Error::new(e).context("the attachments store failed"))
}

/// The answer for a photo refused for good, by the code recorded when it was refused.
fn refusal_of(a: &entity::Model) -> ApiError {
    let why = a.refusal.clone().unwrap_or_default();
    if a.refusal_code.as_deref() == Some(ProblemCode::AttachmentTooLarge.as_str()) {
        refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::AttachmentTooLarge,
            why,
        )
    } else {
        refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemCode::UnsupportedImage,
            why,
        )
    }
}

/// `START`, `END` and `TOTAL` of a `Content-Range: bytes START-END/TOTAL` header, END
/// inclusive, if it parses and is a range within its total.
fn content_range(header: &str) -> Option<(u64, u64, u64)> {
    let spec = header.trim().strip_prefix("bytes ")?;
    let (range, total) = spec.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end, total): (u64, u64, u64) = (
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (start <= end && end < total).then_some((start, end, total))
}

/// Where a body of `len` bytes starts and the whole's size: from its `Content-Range`, or
/// the whole of `len` bytes without one.
pub fn parse_range(header: Option<&str>, len: u64) -> Result<(u64, u64), ApiError> {
    let Some(h) = header else {
        return Ok((0, len));
    };
    match content_range(h) {
        Some((start, end, total)) if end - start + 1 == len => Ok((start, total)),
        _ => Err(ApiError::Validation(crate::domain::FieldError::new(
            "Content-Range",
            "must be `bytes START-END/TOTAL`, END inclusive, matching the body's length",
        ))),
    }
}

/// The length a `Content-Range` declares, if it parses.
fn range_len(header: &str) -> Option<u64> {
    content_range(header).map(|(start, end, _)| end - start + 1)
}

/// A chunk's bytes, at most one request's worth, copied out of each frame as it arrives
/// into a buffer sized for what the range declares.
async fn read_chunk(body: poem::Body, declared: u64) -> Result<bytes::Bytes, ApiError> {
    use futures_util::StreamExt;
    let most = crate::http::middleware::MAX_BODY_BYTES;
    let mut buf =
        bytes::BytesMut::with_capacity(usize::try_from(declared).unwrap_or(most).min(most));
    let mut frames = std::pin::pin!(body.into_bytes_stream());
    while let Some(frame) = frames.next().await {
        let frame = frame.map_err(|e| {
            ApiError::Validation(crate::domain::FieldError::new(
                "body",
                format!("the upload broke off: {e}; ask where it stands and resume"),
            ))
        })?;
        if buf.len() + frame.len() > most {
            return Err(refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemCode::PayloadTooLarge,
                format!("a chunk carries at most {most} bytes: send the photo in chunks"),
            ));
        }
        buf.extend_from_slice(&frame);
    }
    Ok(buf.freeze())
}

/// The photo `id`, if the caller uploaded it or sees what it belongs to.
async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> Result<entity::Model, ApiError> {
    let a = entity::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|a| a.community_id == actor.community_id && a.deleted_at.is_none())
        .ok_or_else(undeclared)?;
    // Admins too ask the owner's capability: a dispute's photos are not theirs to see.
    if a.uploaded_by == actor.resident_id {
        return Ok(a);
    }
    let kind = OwnerKind::parse(&a.owner_kind).ok_or_else(undeclared)?;
    if crate::features::owner_sees(&state.db, actor, kind, a.owner_id).await? {
        Ok(a)
    } else {
        Err(undeclared())
    }
}

/// How a photo settled.
enum Settled {
    Ready(photo::Processed),
    /// Refused for good: the stable code and the sentence shown to residents.
    Refused(ProblemCode, String),
}

/// Records how the photo settled and re-stamps its owner, in one write.
async fn settle(state: &AppState, id: Uuid, how: &Settled) -> Result<entity::Model, ApiError> {
    let _turn = state.write_gate.turn().await;
    let txn = write::begin(&state.db).await?;
    let Some(a) = entity::Entity::find_by_id(id).one(&txn).await? else {
        return Err(undeclared());
    };
    if a.state != PhotoState::Pending.as_str() {
        return Ok(a);
    }
    write::lock(&txn, a.community_id).await?;
    let mut row = a.clone().into_active_model();
    match how {
        Settled::Ready(p) => {
            row.state = Set(PhotoState::Ready.as_str().to_owned());
            row.content_type = Set(Some(p.kind.mime().to_owned()));
            row.stored_size = Set(i64::try_from(p.bytes.len()).unwrap_or(i64::MAX));
            row.width = Set(i32::try_from(p.width).unwrap_or(i32::MAX));
            row.height = Set(i32::try_from(p.height).unwrap_or(i32::MAX));
            row.stored_at = Set(Some(chrono::Utc::now()));
        }
        Settled::Refused(code, why) => {
            row.state = Set(PhotoState::Refused.as_str().to_owned());
            row.refusal = Set(Some(why.clone()));
            row.refusal_code = Set(Some(code.as_str().to_owned()));
        }
    }
    let a = row.update(&txn).await?;
    let version = bump_version(&txn, a.community_id).await?;
    if let Some(kind) = OwnerKind::parse(&a.owner_kind) {
        crate::features::photos_changed(&txn, kind, a.owner_id, version).await?;
    }
    txn.commit().await?;
    state.sync.poker.committed(a.community_id, version);
    Ok(a)
}

fn view(a: &entity::Model, received: u64) -> AttachmentView {
    AttachmentView {
        photo: data(a),
        received,
        owner_kind: a.owner_kind.clone(),
        owner_id: a.owner_id,
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "AttachmentTags::Attachments")]
impl AttachmentsApi {
    /// Upload a photo's bytes
    ///
    /// By the resident who declared the photo (in the mutation adding it to a log entry or
    /// a case), as `application/octet-stream`: whole when at most 1 MiB, else in chunks of
    /// at most 1 MiB with `Content-Range: bytes START-END/TOTAL`. Answers with how far the
    /// upload stands; idempotent (a chunk, or the whole, sent again changes nothing). See
    /// the tag's codes: `attachment_undeclared`, `upload_offset` (with `resume_from`),
    /// `hash_mismatch` (nothing kept: start over), `unsupported_image` and
    /// `attachment_too_large` (refused for good).
    #[oai(
        path = "/attachments/:id",
        method = "put",
        operation_id = "uploadAttachment"
    )]
    async fn upload(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(name = "Content-Range")] content_range: Header<Option<String>>,
        body: Binary<poem::Body>,
    ) -> ApiResult<Json<AttachmentView>, { SIGNED_IN | BODY | NOT_FOUND | CONFLICT }> {
        let actor = state.actor(&auth.0).await?;
        let a = entity::Entity::find_by_id(id.0)
            .one(&state.db)
            .await?
            .filter(|a| {
                a.community_id == actor.community_id
                    && a.deleted_at.is_none()
                    && a.uploaded_by == actor.resident_id
            })
            .ok_or_else(undeclared)?;
        let size = u64::try_from(a.size).unwrap_or(0);
        match PhotoState::parse(&a.state) {
            Some(PhotoState::Ready) => return Ok(Json(view(&a, size))),
            Some(PhotoState::Refused) => return Err(refusal_of(&a).into()),
            _ => {}
        }
        let store: &Store = &state.attachments;
        if size > store.max_bytes {
            let why = format!(
                "too large: {size} bytes, the most this server takes is {} bytes",
                store.max_bytes
            );
            let a = settle(
                &state,
                a.id,
                &Settled::Refused(ProblemCode::AttachmentTooLarge, why),
            )
            .await?;
            return Err(refusal_of(&a).into());
        }
        // The chunk is read only now that the upload is known to be wanted, frame by frame
        // into one buffer of the size its range declares: each frame is let go as soon as it
        // is copied, so a slow upload holds no more than it has sent.
        let declared = content_range
            .0
            .as_deref()
            .and_then(range_len)
            .unwrap_or(size);
        let chunk = read_chunk(body.0, declared).await?;
        let len = chunk.len() as u64;
        let (start, total) = parse_range(content_range.0.as_deref(), len)?;
        if total != size {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::HashMismatch,
                format!("the photo was declared with {size} bytes, this upload has {total}"),
            )
            .into());
        }
        let mut received = store.received(a.id).await.map_err(storage)?;
        if start > received {
            return Err(ApiError::Refused {
                status: StatusCode::CONFLICT,
                code: ProblemCode::UploadOffset,
                detail: format!("the upload stands at byte {received}: send from there"),
                resume_from: Some(received),
            }
            .into());
        }
        if start + len > received {
            store.put_part(a.id, start, chunk).await.map_err(storage)?;
            received = store.received(a.id).await.map_err(storage)?;
        }
        if received < size {
            return Ok(Json(view(&a, received)));
        }
        let _turn = store
            .finishing
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        // The same last chunk sent twice: the first to get its turn finished the photo.
        if let Some(done) = entity::Entity::find_by_id(a.id)
            .one(&state.db)
            .await?
            .filter(|d| d.state != PhotoState::Pending.as_str())
        {
            return match PhotoState::parse(&done.state) {
                Some(PhotoState::Ready) => Ok(Json(view(&done, size))),
                _ => Err(refusal_of(&done).into()),
            };
        }
        let bytes = store.assemble(a.id, size).await.map_err(storage)?;
        if hex::encode(Sha256::digest(&bytes)) != a.sha256 {
            store.forget_parts(a.id).await.map_err(storage)?;
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::HashMismatch,
                "the bytes received do not have the photo's SHA-256: nothing was kept; upload it again from byte 0",
            )
            .into());
        }
        let edge = store.thumbnail_edge;
        let processed = tokio::task::spawn_blocking(move || photo::process(&bytes, edge))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        let settled = match processed {
            Ok(p) => {
                store
                    .put(&Store::thumbnail(a.id), p.thumbnail.clone())
                    .await
                    .map_err(storage)?;
                store
                    .put(&Store::photo(a.id), p.bytes.clone())
                    .await
                    .map_err(storage)?;
                Settled::Ready(p)
            }
            Err(refusal) => Settled::Refused(ProblemCode::UnsupportedImage, refusal.to_string()),
        };
        let a = settle(&state, a.id, &settled).await?;
        store.forget_parts(a.id).await.map_err(storage)?;
        match settled {
            Settled::Ready(_) => Ok(Json(view(&a, size))),
            Settled::Refused(..) => Err(refusal_of(&a).into()),
        }
    }

    /// A photo
    ///
    /// Its state, how far its upload stands (to resume from `received`), and what it
    /// belongs to: for its uploader, and whoever sees what it belongs to.
    #[oai(
        path = "/attachments/:id",
        method = "get",
        operation_id = "getAttachment"
    )]
    async fn attachment(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<AttachmentView>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let a = visible(&state, &actor, id.0).await?;
        let received = match PhotoState::parse(&a.state) {
            Some(PhotoState::Ready) => u64::try_from(a.size).unwrap_or(0),
            _ => state.attachments.received(a.id).await.map_err(storage)?,
        };
        Ok(Json(view(&a, received)))
    }

    /// A photo's bytes
    ///
    /// The stored photo (metadata stripped), or with `thumbnail=true` a JPEG at most 320
    /// pixels on its longer edge; for whoever sees what it belongs to. A photo still
    /// arriving is `attachment_pending` (409).
    #[oai(
        path = "/attachments/:id/content",
        method = "get",
        operation_id = "getAttachmentContent"
    )]
    async fn content(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        /// The thumbnail instead of the photo.
        thumbnail: Query<Option<bool>>,
    ) -> ApiResult<PhotoBytes, { SIGNED_IN | PARAMS | NOT_FOUND | CONFLICT }> {
        let actor = state.actor(&auth.0).await?;
        let a = visible(&state, &actor, id.0).await?;
        match PhotoState::parse(&a.state) {
            Some(PhotoState::Ready) => {}
            Some(PhotoState::Refused) => return Err(refusal_of(&a).into()),
            _ => {
                return Err(refused(
                    StatusCode::CONFLICT,
                    ProblemCode::AttachmentPending,
                    "the photo's bytes have not all arrived yet",
                )
                .into());
            }
        }
        let thumb = thumbnail.0.unwrap_or(false);
        let (path, mime) = if thumb {
            (Store::thumbnail(a.id), "image/jpeg".to_owned())
        } else {
            (
                Store::photo(a.id),
                a.content_type
                    .clone()
                    .unwrap_or_else(|| "image/jpeg".into()),
            )
        };
        let bytes = state.attachments.get(&path).await.map_err(storage)?;
        Ok(PhotoBytes::Ok(
            Binary(bytes.to_vec()),
            mime,
            "private, max-age=31536000, immutable".into(),
            format!("\"{}{}\"", &a.sha256[..16], if thumb { "-t" } else { "" }),
        ))
    }
}
