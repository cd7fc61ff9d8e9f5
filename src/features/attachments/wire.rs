//! The attachments' wire types: a photo as a mutation names it, and as its owner's row
//! carries it to phones.

use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A photo taken on the phone, named in the mutation that adds it to its owner: the phone
/// made the id and hashed the bytes; the bytes follow over `PUT /api/v1/attachments/{id}`.
#[derive(Debug, Clone, Object)]
pub struct PhotoArgs {
    pub id: Uuid,
    /// The SHA-256 of the bytes as they will be uploaded, in lowercase hex.
    #[oai(validator(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// Their size in bytes.
    #[oai(validator(minimum(value = "1"), maximum(value = "1073741824")))]
    pub size: u64,
}

/// Where a photo's bytes stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PhotoState {
    /// Declared; the bytes have not all arrived (show it as waiting, never as an error).
    Pending,
    /// Stored, metadata stripped, with a thumbnail.
    Ready,
    /// The bytes were not a picture this server takes, or too large: `refusal` says why.
    Refused,
}

/// A photo as its owner's row carries it.
#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct PhotoData {
    pub id: Uuid,
    pub state: PhotoState,
    /// The bytes' size as taken.
    pub size: u64,
    /// Once ready: `image/jpeg`, `image/png` or `image/webp`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Once ready, as shown (upright).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Why it was refused, for the resident.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}
