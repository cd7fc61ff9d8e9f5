//! One error type for the whole API, and one mapping from it to an HTTP response.
//!
//! Handlers return [`ApiError`]; it becomes an [`ErrorResponse`], whose variants declare every
//! error status in the OpenAPI document, each with an RFC 9457 `application/problem+json`
//! [`Problem`] body carrying a stable machine-readable [`ProblemCode`]. Errors raised outside
//! the handlers (malformed JSON, unknown routes, oversized bodies) are rewritten into the same
//! shape by `middleware::ProblemJson`, so a client never sees any other error format.
//!
//! A 500 is logged with its cause and the request id; the client gets the request id and a
//! generic sentence, never the cause.

use std::time::Duration;

use poem::http::StatusCode;
use poem_openapi::{ApiResponse, Enum, Object, payload::Json};
use sea_orm::DbErr;

use crate::domain::FieldError;
use crate::sync::error::SyncError;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

tokio::task_local! {
    /// The id of the request being served, for problem bodies and logs.
    pub static REQUEST_ID: String;
}

/// Stable, machine-readable error codes. Clients branch on these, never on `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ProblemCode {
    /// A field failed validation; `field` names it.
    ValidationFailed,
    /// The request could not be read: malformed JSON, wrong types, bad parameters.
    MalformedRequest,
    /// No valid access token was presented.
    Unauthorized,
    /// Phone number or password is wrong (deliberately not saying which).
    InvalidCredentials,
    /// The refresh token is unknown, expired or revoked.
    InvalidRefreshToken,
    /// An already-used refresh token was presented again: the session was revoked.
    RefreshTokenReused,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// No such object (or none the caller may see).
    NotFound,
    /// The path exists but not with this method; see the `Allow` header.
    MethodNotAllowed,
    /// The phone number is already registered.
    PhoneTaken,
    /// The request conflicts with the current state.
    Conflict,
    /// The request body is larger than 1 MiB.
    PayloadTooLarge,
    /// The request body is not `application/json`.
    UnsupportedMediaType,
    /// Too many attempts; wait `Retry-After` seconds.
    RateLimited,
    /// The server failed; quote `request_id` when reporting it.
    Internal,
    /// The database is unreachable; retry after `Retry-After` seconds.
    ServiceUnavailable,
    /// The server's disk is full: nothing was saved; retry after `Retry-After` seconds.
    StorageFull,
    /// The sync `client_id` belongs to another resident.
    ClientNotOwned,
    /// A pushed mutation id skips ahead; resend from `expected_mutation_id`.
    MutationGap,
    /// A pushed mutation does not match the schema (see `mutation_id`); nothing was applied.
    InvalidMutation,
    /// The pull cursor is malformed, forged, or from another community.
    InvalidCursor,
    /// The pull cursor is older than the tombstone retention: pull again from `null`.
    ResyncRequired,
    /// The app's sync schema is too old: update the app.
    ClientUpgradeRequired,
    /// No photo with this id was declared (by a synced mutation) that the caller may upload
    /// or see: push the mutation that names it first.
    AttachmentUndeclared,
    /// The photo's bytes have not all arrived yet: show it as pending.
    AttachmentPending,
    /// The photo is larger than the server accepts (`LINLI_ATTACHMENT_MAX_BYTES`).
    AttachmentTooLarge,
    /// The bytes received do not have the SHA-256 (or the size) the photo was declared with:
    /// nothing was kept; upload it again from byte 0.
    HashMismatch,
    /// The bytes are not a JPEG, PNG or WebP picture (or cannot be read): the photo is
    /// refused for good.
    UnsupportedImage,
    /// The chunk does not start where the upload stands: resume from `resume_from`.
    UploadOffset,
}

impl ProblemCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationFailed => "validation_failed",
            Self::MalformedRequest => "malformed_request",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::InvalidRefreshToken => "invalid_refresh_token",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PhoneTaken => "phone_taken",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::ServiceUnavailable => "service_unavailable",
            Self::StorageFull => "storage_full",
            Self::ClientNotOwned => "client_not_owned",
            Self::MutationGap => "mutation_gap",
            Self::InvalidMutation => "invalid_mutation",
            Self::InvalidCursor => "invalid_cursor",
            Self::ResyncRequired => "resync_required",
            Self::ClientUpgradeRequired => "client_upgrade_required",
            Self::AttachmentUndeclared => "attachment_undeclared",
            Self::AttachmentPending => "attachment_pending",
            Self::AttachmentTooLarge => "attachment_too_large",
            Self::HashMismatch => "hash_mismatch",
            Self::UnsupportedImage => "unsupported_image",
            Self::UploadOffset => "upload_offset",
        }
    }

    /// The code a bare status gets when no handler chose one.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            409 => Self::Conflict,
            410 => Self::ResyncRequired,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            422 => Self::ValidationFailed,
            426 => Self::ClientUpgradeRequired,
            429 => Self::RateLimited,
            503 => Self::ServiceUnavailable,
            400..=499 => Self::MalformedRequest,
            _ => Self::Internal,
        }
    }
}

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:linli:problem:<code>`.
    #[oai(rename = "type")]
    pub kind: String,
    /// The HTTP status phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// What went wrong, for a program.
    pub code: ProblemCode,
    /// The field that failed validation, as named in the request.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
    /// The id of the request, also in the `x-request-id` header and the server's log.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
    /// With `mutation_gap`: the mutation id the server expects next.
    #[oai(skip_serializing_if_is_none)]
    pub expected_mutation_id: Option<u64>,
    /// With `invalid_mutation`: the id of the mutation the server could not read.
    #[oai(skip_serializing_if_is_none)]
    pub mutation_id: Option<u64>,
    /// With `upload_offset`: the byte the upload stands at, where the next chunk starts.
    #[oai(skip_serializing_if_is_none)]
    pub resume_from: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:linli:problem:{}", code.as_str()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code,
            field: None,
            request_id: REQUEST_ID.try_with(Clone::clone).ok(),
            expected_mutation_id: None,
            mutation_id: None,
            resume_from: None,
        }
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(self)).unwrap_or_default()
    }
}

impl poem_openapi::types::Example for Problem {
    fn example() -> Self {
        Self {
            field: Some("phone".into()),
            request_id: Some("0193a0c4-7d2e-7c61-9a57-6b1f0e2d4c11".into()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::ValidationFailed,
                "phone: must be a mainland mobile number (11 digits starting with 1) or start with + and a country code",
            )
        }
    }
}

/// Every error an operation can answer with. Each variant carries a problem+json body.
#[derive(Debug, ApiResponse)]
pub enum ErrorResponse {
    /// The request could not be read: malformed JSON, wrong types or bad parameters.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// Missing, expired or invalid credentials.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// Authenticated, but not allowed to do this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such object, or none the caller may see.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the current state (`phone_taken`, `mutation_gap`, `conflict`).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The sync cursor is too old (`resync_required`): pull again from `null`.
    #[oai(status = 410, content_type = "application/problem+json")]
    Gone(Json<Problem>),
    /// The request body is larger than 1 MiB.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The request body is not JSON.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// A field failed validation; `field` names it.
    #[oai(status = 422, content_type = "application/problem+json")]
    UnprocessableEntity(Json<Problem>),
    /// The app is too old for this server (`client_upgrade_required`).
    #[oai(status = 426, content_type = "application/problem+json")]
    UpgradeRequired(Json<Problem>),
    /// Too many attempts.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// The server failed. The body carries a request id, never the cause.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// The database is unreachable; retry later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>, #[oai(header = "Retry-After")] u64),
}

/// What went wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Validation(#[from] FieldError),
    #[error("missing or invalid access token")]
    Unauthorized,
    #[error("wrong phone number or password")]
    InvalidCredentials,
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("refresh token reused")]
    RefreshTokenReused,
    #[error("forbidden")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict { code: ProblemCode, detail: String },
    /// A refusal with its own status and code (404, 409, 413, 415 or 422), and, for an
    /// upload, the byte to resume from.
    #[error("{detail}")]
    Refused {
        status: StatusCode,
        code: ProblemCode,
        detail: String,
        resume_from: Option<u64>,
    },
    #[error("rate limited for {0:?}")]
    RateLimited(Duration),
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    #[error("storage full: {0}")]
    StorageFull(DbErr),
    #[error("the sync client belongs to another resident")]
    ClientNotOwned,
    #[error("mutation gap; expected {expected}")]
    MutationGap { expected: u64 },
    #[error("mutation {mutation_id} cannot be read: {reason}")]
    InvalidMutation {
        mutation_id: u64,
        reason: String,
        /// The sync schema this server speaks, for the message.
        schema_version: u32,
        /// JSON pointer (without the leading `/`) of the offending value, when known.
        field: Option<String>,
    },
    /// The body breaks the OpenAPI document's schema (see `http::contract`).
    #[error("the body breaks the schema at {field:?}: {reason}")]
    BreaksSchema { field: String, reason: String },
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    #[error("resync required")]
    ResyncRequired,
    #[error("client upgrade required (minimum schema {minimum})")]
    UpgradeRequired { minimum: u32 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What an operation answers with: `T`, or one of the error statuses `S` declares (a set of
/// [`answers`] bits). The OpenAPI document lists exactly those statuses for the operation.
pub type ApiResult<T, const S: u32> = Result<T, Errors<S>>;

/// The error statuses one operation can answer with, as bits over [`ErrorResponse`]'s
/// variants. An operation's return type names its set, so its document lists only what it
/// can return; schemathesis (`openapi/contract-test`) checks every answer against it.
pub mod answers {
    pub const BAD_REQUEST: u32 = 1 << 0;
    pub const UNAUTHORIZED: u32 = 1 << 1;
    pub const FORBIDDEN: u32 = 1 << 2;
    pub const NOT_FOUND: u32 = 1 << 3;
    pub const CONFLICT: u32 = 1 << 4;
    pub const GONE: u32 = 1 << 5;
    pub const PAYLOAD_TOO_LARGE: u32 = 1 << 6;
    pub const UNSUPPORTED_MEDIA_TYPE: u32 = 1 << 7;
    pub const UNPROCESSABLE: u32 = 1 << 8;
    pub const UPGRADE_REQUIRED: u32 = 1 << 9;
    pub const TOO_MANY_REQUESTS: u32 = 1 << 10;
    pub const INTERNAL: u32 = 1 << 11;
    pub const UNAVAILABLE: u32 = 1 << 12;

    /// Any operation that reads the database can fail, or find it unreachable.
    pub const ALWAYS: u32 = INTERNAL | UNAVAILABLE;
    /// An operation with a JSON body: unreadable, too large, not JSON, or breaking the schema.
    pub const BODY: u32 = BAD_REQUEST | PAYLOAD_TOO_LARGE | UNSUPPORTED_MEDIA_TYPE | UNPROCESSABLE;
    /// An operation with path or query parameters: unreadable, or out of range.
    pub const PARAMS: u32 = BAD_REQUEST | UNPROCESSABLE;
    /// An operation that needs an access token.
    pub const SIGNED_IN: u32 = ALWAYS | UNAUTHORIZED;

    /// The bit for an HTTP status, if [`super::ErrorResponse`] has a variant for it.
    pub const fn of(status: u16) -> u32 {
        match status {
            400 => BAD_REQUEST,
            401 => UNAUTHORIZED,
            403 => FORBIDDEN,
            404 => NOT_FOUND,
            409 => CONFLICT,
            410 => GONE,
            413 => PAYLOAD_TOO_LARGE,
            415 => UNSUPPORTED_MEDIA_TYPE,
            422 => UNPROCESSABLE,
            426 => UPGRADE_REQUIRED,
            429 => TOO_MANY_REQUESTS,
            500 => INTERNAL,
            503 => UNAVAILABLE,
            _ => 0,
        }
    }
}

/// An [`ErrorResponse`] from an operation that declares the statuses `S` (see [`answers`]).
#[derive(Debug)]
pub struct Errors<const S: u32>(pub ErrorResponse);

impl<const S: u32> From<ApiError> for Errors<S> {
    fn from(err: ApiError) -> Self {
        let response = ErrorResponse::from(err);
        let status = response.status();
        if answers::of(status) & S == 0 {
            // The document does not list this status for the operation: a bug in the
            // operation's declared set, which schemathesis reports as a nonconforming status.
            tracing::error!(
                status,
                "an operation answered with a status its document does not list"
            );
        }
        Self(response)
    }
}

impl<const S: u32> From<DbErr> for Errors<S> {
    fn from(err: DbErr) -> Self {
        ApiError::from(err).into()
    }
}

impl<const S: u32> From<Errors<S>> for poem::Error {
    fn from(errors: Errors<S>) -> Self {
        errors.0.into()
    }
}

impl<const S: u32> poem::IntoResponse for Errors<S> {
    fn into_response(self) -> poem::Response {
        poem::IntoResponse::into_response(self.0)
    }
}

impl<const S: u32> poem_openapi::ApiResponse for Errors<S> {
    fn meta() -> poem_openapi::registry::MetaResponses {
        let mut meta = ErrorResponse::meta();
        meta.responses
            .retain(|r| r.status.is_some_and(|status| answers::of(status) & S != 0));
        meta
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        ErrorResponse::register(registry);
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if crate::persistence::is_storage_full(&err) {
            ApiError::StorageFull(err)
        } else if crate::persistence::is_transient(&err) {
            ApiError::Unavailable(err)
        } else {
            ApiError::Internal(err.into())
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(err: SyncError) -> Self {
        match err {
            SyncError::Unauthorized => ApiError::Unauthorized,
            SyncError::Invalid(e) => ApiError::Validation(e),
            SyncError::ClientNotOwned => ApiError::ClientNotOwned,
            SyncError::MutationGap { expected } => ApiError::MutationGap { expected },
            SyncError::InvalidMutation {
                mutation_id,
                reason,
                schema_version,
            } => ApiError::InvalidMutation {
                mutation_id,
                reason,
                schema_version,
                field: None,
            },
            SyncError::InvalidCursor(why) => ApiError::InvalidCursor(why),
            SyncError::ResyncRequired => ApiError::ResyncRequired,
            SyncError::UpgradeRequired { minimum } => ApiError::UpgradeRequired { minimum },
            SyncError::Unavailable(e) => ApiError::Unavailable(e),
            SyncError::StorageFull(e) => ApiError::StorageFull(e),
            SyncError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl ErrorResponse {
    /// The HTTP status this answer is sent with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(..) => 400,
            Self::Unauthorized(..) => 401,
            Self::Forbidden(..) => 403,
            Self::NotFound(..) => 404,
            Self::Conflict(..) => 409,
            Self::Gone(..) => 410,
            Self::PayloadTooLarge(..) => 413,
            Self::UnsupportedMediaType(..) => 415,
            Self::UnprocessableEntity(..) => 422,
            Self::UpgradeRequired(..) => 426,
            Self::TooManyRequests(..) => 429,
            Self::Internal(..) => 500,
            Self::Unavailable(..) => 503,
        }
    }
}

impl From<ApiError> for ErrorResponse {
    fn from(err: ApiError) -> Self {
        use ProblemCode as C;
        let problem = |status: StatusCode, code: ProblemCode, detail: String| {
            Json(Problem::new(status, code, detail))
        };
        match err {
            ApiError::Validation(e) => {
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, C::ValidationFailed, e.to_string());
                p.field = Some(e.field.to_owned());
                Self::UnprocessableEntity(Json(p))
            }
            ApiError::Unauthorized => Self::Unauthorized(
                problem(StatusCode::UNAUTHORIZED, C::Unauthorized, "a valid access token is required".into()),
                "Bearer".into(),
            ),
            ApiError::InvalidCredentials => Self::Unauthorized(
                problem(StatusCode::UNAUTHORIZED, C::InvalidCredentials, "wrong phone number or password".into()),
                "Bearer".into(),
            ),
            ApiError::InvalidRefreshToken => Self::Unauthorized(
                problem(
                    StatusCode::UNAUTHORIZED,
                    C::InvalidRefreshToken,
                    "the refresh token is unknown, expired or revoked; log in again".into(),
                ),
                "Bearer".into(),
            ),
            ApiError::RefreshTokenReused => Self::Unauthorized(
                problem(
                    StatusCode::UNAUTHORIZED,
                    C::RefreshTokenReused,
                    "this refresh token was already used, so the session was ended on every device; log in again".into(),
                ),
                "Bearer".into(),
            ),
            ApiError::Forbidden => Self::Forbidden(problem(
                StatusCode::FORBIDDEN,
                C::Forbidden,
                "you are not allowed to do this".into(),
            )),
            ApiError::NotFound(what) => {
                Self::NotFound(problem(StatusCode::NOT_FOUND, C::NotFound, format!("{what} not found")))
            }
            ApiError::Conflict { code, detail } => Self::Conflict(problem(StatusCode::CONFLICT, code, detail)),
            ApiError::Refused { status, code, detail, resume_from } => {
                let mut p = Problem::new(status, code, detail);
                p.resume_from = resume_from;
                match status.as_u16() {
                    404 => Self::NotFound(Json(p)),
                    413 => Self::PayloadTooLarge(Json(p)),
                    415 => Self::UnsupportedMediaType(Json(p)),
                    422 => Self::UnprocessableEntity(Json(p)),
                    _ => Self::Conflict(Json(p)),
                }
            }
            ApiError::ClientNotOwned => Self::Forbidden(problem(
                StatusCode::FORBIDDEN,
                C::ClientNotOwned,
                "this client_id belongs to another resident; make a new one".into(),
            )),
            ApiError::MutationGap { expected } => {
                let mut p = Problem::new(
                    StatusCode::CONFLICT,
                    C::MutationGap,
                    format!("mutation ids must continue from {expected}; resend the queue from there"),
                );
                p.expected_mutation_id = Some(expected);
                Self::Conflict(Json(p))
            }
            ApiError::InvalidMutation { mutation_id, reason, schema_version, field } => {
                let mut p = Problem::new(
                    StatusCode::BAD_REQUEST,
                    C::InvalidMutation,
                    format!(
                        "mutation {mutation_id} does not match sync schema {schema_version}: {reason}; nothing was applied",
                    ),
                );
                p.mutation_id = Some(mutation_id);
                p.field = field;
                Self::BadRequest(Json(p))
            }
            ApiError::BreaksSchema { field, reason } => {
                let mut p = Problem::new(
                    StatusCode::BAD_REQUEST,
                    C::MalformedRequest,
                    format!("the body does not match the API schema at `/{field}`: {reason}"),
                );
                p.field = (!field.is_empty()).then_some(field);
                Self::BadRequest(Json(p))
            }
            // 409, not 400: the request is well-formed, but names a state this server does
            // not recognise (forged, foreign, or signed with a key since rotated).
            ApiError::InvalidCursor(why) => Self::Conflict(problem(
                StatusCode::CONFLICT,
                C::InvalidCursor,
                format!("{why}; pull again with cursor null"),
            )),
            ApiError::ResyncRequired => Self::Gone(problem(
                StatusCode::GONE,
                C::ResyncRequired,
                "this cursor is older than the server keeps deletions; discard local data and pull with cursor null".into(),
            )),
            ApiError::UpgradeRequired { minimum } => Self::UpgradeRequired(problem(
                StatusCode::UPGRADE_REQUIRED,
                C::ClientUpgradeRequired,
                format!("this app is too old; update it (sync schema {minimum} or newer is needed)"),
            )),
            ApiError::RateLimited(wait) => {
                let secs = wait.as_secs().max(1);
                Self::TooManyRequests(
                    problem(
                        StatusCode::TOO_MANY_REQUESTS,
                        C::RateLimited,
                        format!("too many attempts; try again in {secs} seconds"),
                    ),
                    secs,
                )
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                Self::Unavailable(
                    problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        C::ServiceUnavailable,
                        "the service is temporarily unavailable; try again shortly".into(),
                    ),
                    RETRY_AFTER_UNAVAILABLE_SECS,
                )
            }
            ApiError::StorageFull(cause) => {
                tracing::error!(error = %cause, "the database's disk is full; writes are refused until space is freed");
                Self::Unavailable(
                    problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        C::StorageFull,
                        "the server cannot save anything right now (its storage is full); nothing was changed, and reading still works; try again later".into(),
                    ),
                    RETRY_AFTER_STORAGE_FULL_SECS,
                )
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                Self::Internal(problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    C::Internal,
                    "the server failed to handle this request; quote the request id when reporting it".into(),
                ))
            }
        }
    }
}

/// How long clients should wait before retrying when the database is unavailable.
pub const RETRY_AFTER_UNAVAILABLE_SECS: u64 = 5;

/// How long clients should wait before retrying a write refused for a full disk: an operator
/// has to free space, which takes minutes, not seconds.
pub const RETRY_AFTER_STORAGE_FULL_SECS: u64 = 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_never_show_their_cause_but_carry_the_request_id() {
        let resp = REQUEST_ID
            .scope("req-123".into(), async {
                ErrorResponse::from(ApiError::Internal(anyhow::anyhow!(
                    "password=hunter2 at db.rs:42"
                )))
            })
            .await;
        let ErrorResponse::Internal(Json(p)) = resp else {
            panic!("expected a 500");
        };
        assert_eq!(p.status, 500);
        assert_eq!(p.code, ProblemCode::Internal);
        assert!(!p.detail.contains("hunter2"));
        assert_eq!(p.request_id.as_deref(), Some("req-123"));
    }

    #[test]
    fn validation_errors_name_the_field() {
        let resp = ErrorResponse::from(ApiError::Validation(FieldError::new(
            "display_name",
            "must not be empty",
        )));
        let ErrorResponse::UnprocessableEntity(Json(p)) = resp else {
            panic!("expected a 422");
        };
        assert_eq!(p.field.as_deref(), Some("display_name"));
        assert_eq!(p.kind, "urn:linli:problem:validation_failed");
    }

    #[test]
    fn every_code_maps_to_its_wire_name() {
        for status in [
            400u16, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503,
        ] {
            let code = ProblemCode::for_status(StatusCode::from_u16(status).unwrap());
            let wire = poem_openapi::types::ToJSON::to_json(&code).unwrap();
            assert_eq!(wire.as_str(), Some(code.as_str()));
        }
    }
}
