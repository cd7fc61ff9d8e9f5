//! Who is pulling, and their personal rows, read once per community version rather than
//! once per page.
//!
//! A pull needs the caller's roles (what they may see) and their own name and phone (which
//! their own memberships and sign-ups carry). Reading them is two queries on every page of
//! every pull; a first sync is several pages in a row, and nothing about the caller changes
//! between them unless something is committed. Likewise each page read the caller's
//! memberships, sign-ups and attendance again (three queries), though a resident has a
//! handful and the first page had already read them all.
//!
//! So each [`Viewer`] is kept with the community version of the read snapshot it came from,
//! and reused only by a pull whose own snapshot is at that same version. Why that is exact:
//! every write commits a new community version in the same transaction (a role granted or
//! taken, a group led, a sign-up, a name given), so two snapshots at one version hold the
//! same rows; and nothing here is used across versions, so a pull never mixes older roles
//! or rows with the rows it sends. A page that read *all* of the caller's personal rows
//! after its cursor (a few; see [`KEEP_PERSONAL_MAX`]) keeps them, encoded, for the next
//! page of the same pass ([`Personal`]); the last page of a pass drops them, so they are
//! held only while a phone is paging. (A resident is never deleted; an account made by
//! `linli user create --admin` gets its admin role just after the account, and until the
//! next commit a pull in between would see it as a plain resident: less, never more.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::cursor::Position;
use super::public_feed::Encoded;
use super::registry::SyncApp;
use crate::domain::permissions::Actor;
use crate::persistence;

/// Entries kept before the cache starts over (the next pull of each just reads again).
const MAX_ENTRIES: usize = 100_000;

/// Most personal rows kept for a pass's next page: a resident's own are a handful; a
/// leader of a large group, or an admin, simply reads them on every page.
pub const KEEP_PERSONAL_MAX: usize = 2_000;

/// The caller of a pull, as of one version of their community.
#[derive(Debug)]
pub struct Viewer {
    pub actor: Actor,
    pub display_name: String,
    pub phone: String,
}

/// Every personal row the viewer sees after `from`, with tombstones through `skip` left out,
/// encoded, in feed order.
#[derive(Debug)]
pub struct Personal {
    pub skip: i64,
    pub from: Position,
    pub rows: Vec<(Position, Encoded)>,
}

#[derive(Debug)]
struct Held {
    version: i64,
    viewer: Arc<Viewer>,
    personal: Option<Personal>,
}

/// Viewers read by this process's pulls, each stamped with its snapshot's version.
#[derive(Debug, Default)]
pub struct Viewers {
    held: Mutex<HashMap<Uuid, Held>>,
}

impl Viewers {
    /// The resident as a snapshot at community version `head` sees them, read through
    /// `conn` (that snapshot) unless this process already read them at `head`. `None` for
    /// an id that names no resident.
    pub async fn at<A: SyncApp>(
        &self,
        conn: &impl ConnectionTrait,
        resident: Uuid,
        head: i64,
    ) -> Result<Option<Arc<Viewer>>, DbErr> {
        if let Some(held) = self.lock().get(&resident)
            && held.version == head
        {
            return Ok(Some(held.viewer.clone()));
        }
        let Some(found) = persistence::residents::find_active(conn, resident).await? else {
            return Ok(None);
        };
        let grants = A::grants_of(conn, resident).await?;
        let viewer = Arc::new(Viewer {
            actor: Actor {
                resident_id: found.id,
                community_id: found.community_id,
                grants,
            },
            display_name: found.display_name,
            phone: found.phone,
        });
        let mut held = self.lock();
        if held.len() >= MAX_ENTRIES {
            held.clear();
        }
        held.insert(
            resident,
            Held {
                version: head,
                viewer: viewer.clone(),
                personal: None,
            },
        );
        Ok(Some(viewer))
    }

    /// The resident's personal rows after `pos`, as a page at `head` leaving out tombstones
    /// through `skip` would read them, if an earlier page of the same pass kept them.
    pub fn personal_after(
        &self,
        resident: Uuid,
        head: i64,
        skip: i64,
        pos: Position,
    ) -> Option<Vec<(Position, Encoded)>> {
        let held = self.lock();
        let personal = held
            .get(&resident)
            .filter(|h| h.version == head)?
            .personal
            .as_ref()
            .filter(|p| p.skip == skip && p.from <= pos)?;
        Some(
            personal
                .rows
                .iter()
                .filter(|(p, _)| *p > pos)
                .cloned()
                .collect(),
        )
    }

    /// Keeps every personal row of the resident after `personal.from` at `head`, for the
    /// next page of this pass.
    pub fn keep_personal(&self, resident: Uuid, head: i64, personal: Personal) {
        if let Some(held) = self.lock().get_mut(&resident)
            && held.version == head
        {
            held.personal = Some(personal);
        }
    }

    /// The pass is over: its personal rows are not needed any more.
    pub fn forget_personal(&self, resident: Uuid) {
        if let Some(held) = self.lock().get_mut(&resident) {
            held.personal = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Held>> {
        // Every write is one insert or a clear: a panic elsewhere leaves the map whole.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
