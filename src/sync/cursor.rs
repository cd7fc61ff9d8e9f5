//! Pull cursors: where a phone is in its community's change feed, signed so it cannot be
//! forged, and versioned so the format can change.
//!
//! The feed is ordered by (version, entity rank, id): `version` is the community's commit
//! counter, so that order is commit order. A cursor holds the last position delivered, the
//! scope the phone saw it under, how far a first sync may skip tombstones, and, while the
//! phone's scope is being reconciled, that reconciliation's own position.
//!
//! Wire form: `base64url(json) "." base64url(HMAC-SHA256(json))`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::horizon::Window;
use super::scope::SyncScope;

/// The cursor format this server writes and reads.
pub const FORMAT: u8 = 1;

/// A position in the feed: everything at or before it has been delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    #[serde(rename = "v")]
    pub version: i64,
    #[serde(rename = "r")]
    pub rank: u8,
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl Position {
    /// After every row of `version`.
    pub fn end_of(version: i64) -> Self {
        Self {
            version,
            rank: u8::MAX,
            id: Uuid::max(),
        }
    }
}

/// A re-scan of memberships after the phone's scope changed. It runs to the head of the
/// feed, with no upper bound: a membership changed while the re-scan is under way moves to a
/// later version and is met again, so none escapes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconcile {
    /// Everything the phone may have seen before: personal rows visible under it but not
    /// now are sent as deletes. (Equal to the scope now when only the app was upgraded.)
    #[serde(rename = "s")]
    pub before: SyncScope,
    #[serde(rename = "p")]
    pub position: Position,
    /// The app was upgraded from this schema version: the rows of entities newer than it,
    /// which it never received, are sent too.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub newer_than: Option<u32>,
    /// Days that entered the phone's horizon: rows bound to a moment in them are sent
    /// whatever their version ([`super::horizon`]).
    #[serde(rename = "w", default, skip_serializing_if = "Option::is_none")]
    pub band: Option<Window>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "f")]
    pub format: u8,
    #[serde(rename = "c")]
    pub community: Uuid,
    /// The resident the feed was sent to: a cursor works only for them, so another
    /// resident replaying it learns nothing (not even the ids of rows they may not see).
    #[serde(rename = "u", default)]
    pub resident: Uuid,
    #[serde(rename = "p")]
    pub position: Position,
    /// Tombstones at or below this version are skipped: a first sync need not learn what
    /// was deleted before it began.
    #[serde(rename = "k")]
    pub skip_tombstones_through: i64,
    #[serde(rename = "s")]
    pub scope: SyncScope,
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<Reconcile>,
    /// The sync schema version of the app the feed was sent to: entities newer than it were
    /// left out. (Absent in cursors of schema 1, which all cursors made before it were.)
    #[serde(
        rename = "v",
        default = "first_schema",
        skip_serializing_if = "is_first_schema"
    )]
    pub schema: u32,
    /// The horizon the phone holds rows bound to a moment for. (Absent in cursors made
    /// before the horizon, whose phones were sent every day.)
    #[serde(rename = "h", default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
}

fn first_schema() -> u32 {
    1
}

fn is_first_schema(v: &u32) -> bool {
    *v == 1
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("the cursor is malformed")]
    Malformed,
    #[error("the cursor's signature does not match")]
    BadSignature,
    #[error("the cursor was made by an incompatible server version")]
    UnknownFormat,
}

/// Signs and verifies cursors.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(***)")
    }
}

type HmacSha256 = Hmac<Sha256>;

impl CursorKey {
    /// Derives the cursor key from the service secret, so it needs no configuration of its own
    /// and differs from the token-signing key.
    pub fn derive(secret: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"linli pull cursor key v1\0");
        h.update(secret);
        Self(h.finalize().into())
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(payload);
        mac
    }

    pub fn encode(&self, cursor: &Cursor) -> String {
        let json = serde_json::to_vec(cursor).expect("cursors serialise");
        let tag = self.mac(&json).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    pub fn decode(&self, s: &str) -> Result<Cursor, CursorError> {
        let (payload, tag) = s.split_once('.').ok_or(CursorError::Malformed)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| CursorError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| CursorError::Malformed)?;
        self.mac(&json)
            .verify_slice(&tag)
            .map_err(|_| CursorError::BadSignature)?;
        // One parse on the path every "anything new?" takes; the format is looked at apart
        // only when the cursor does not read as this format's.
        match serde_json::from_slice::<Cursor>(&json) {
            Ok(cursor) if cursor.format == FORMAT => Ok(cursor),
            parsed => {
                let format = serde_json::from_slice::<serde_json::Value>(&json)
                    .ok()
                    .and_then(|v| v.get("f").and_then(serde_json::Value::as_u64));
                match (format, parsed) {
                    (Some(f), _) if f != u64::from(FORMAT) => Err(CursorError::UnknownFormat),
                    _ => Err(CursorError::Malformed),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            format: FORMAT,
            community: Uuid::now_v7(),
            resident: Uuid::now_v7(),
            position: Position {
                version: 42,
                rank: 1,
                id: Uuid::now_v7(),
            },
            skip_tombstones_through: 7,
            scope: SyncScope {
                admin: false,
                over: [Uuid::now_v7()].into(),
            },
            reconcile: Some(Reconcile {
                before: SyncScope::default(),
                position: Position::default(),
                newer_than: Some(1),
                band: Some(Window { from: 3, to: 4 }),
            }),
            schema: 2,
            window: Some(Window { from: 1, to: 4 }),
        }
    }

    #[test]
    fn a_cursor_round_trips() {
        let key = CursorKey::derive(b"secret");
        let c = cursor();
        assert_eq!(key.decode(&key.encode(&c)).unwrap(), c);
    }

    #[test]
    fn forged_or_garbled_cursors_are_refused() {
        let key = CursorKey::derive(b"secret");
        let encoded = key.encode(&cursor());
        let (payload, tag) = encoded.split_once('.').unwrap();
        // Move the position back without re-signing.
        let mut json: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        json["p"]["v"] = 0.into();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(json.to_string()));
        assert_eq!(key.decode(&forged), Err(CursorError::BadSignature));
        assert_eq!(
            CursorKey::derive(b"other").decode(&encoded),
            Err(CursorError::BadSignature)
        );
        for garbage in ["", "abc", "abc.def", "!!.!!"] {
            assert!(key.decode(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn another_format_is_refused_even_when_signed() {
        let key = CursorKey::derive(b"secret");
        let mut c = cursor();
        c.format = 9;
        assert_eq!(key.decode(&key.encode(&c)), Err(CursorError::UnknownFormat));
    }

    #[test]
    fn positions_order_by_version_then_rank_then_id() {
        let a = Position {
            version: 1,
            rank: 2,
            id: Uuid::max(),
        };
        let b = Position {
            version: 2,
            rank: 0,
            id: Uuid::nil(),
        };
        assert!(a < b);
        assert!(Position::end_of(1) < b);
        assert!(a < Position::end_of(1));
    }
}
