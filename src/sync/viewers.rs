//! Who is pulling, read once per community version rather than once per page.
//!
//! A pull needs the caller's roles (what they may see) and their own name and phone (which
//! their own memberships and sign-ups carry). Reading them is two queries on every page of
//! every pull; a first sync is several pages in a row, and nothing about the caller changes
//! between them unless something is committed.
//!
//! So each [`Viewer`] is kept with the community version of the read snapshot it came from,
//! and reused only by a pull whose own snapshot is at that same version. Why that is exact:
//! every write that changes a caller's roles (a group created or led, a role granted or
//! taken) commits a new community version in the same transaction, so two snapshots at one
//! version hold the same roles; and a viewer is never used across versions, so a pull never
//! sees roles older than the rows it sends. (A resident is never deleted; an account made by
//! `linli user create --admin` gets its admin role just after the account, and until the
//! next commit a pull in between would see it as a plain resident: less, never more.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::domain::permissions::Actor;
use crate::persistence;

/// Entries kept before the cache starts over (the next pull of each just reads again).
const MAX_ENTRIES: usize = 100_000;

/// The caller of a pull, as of one version of their community.
#[derive(Debug)]
pub struct Viewer {
    pub actor: Actor,
    pub display_name: String,
    pub phone: String,
}

/// Viewers read by this process's pulls, each stamped with its snapshot's version.
#[derive(Debug, Default)]
pub struct Viewers {
    held: Mutex<HashMap<Uuid, (i64, Arc<Viewer>)>>,
}

impl Viewers {
    /// The resident as a snapshot at community version `head` sees them, read through
    /// `conn` (that snapshot) unless this process already read them at `head`. `None` for
    /// an id that names no resident.
    pub async fn at(
        &self,
        conn: &impl ConnectionTrait,
        resident: Uuid,
        head: i64,
    ) -> Result<Option<Arc<Viewer>>, DbErr> {
        if let Some((version, viewer)) = self.lock().get(&resident)
            && *version == head
        {
            return Ok(Some(viewer.clone()));
        }
        let Some(found) = persistence::residents::find(conn, resident).await? else {
            return Ok(None);
        };
        let grants = persistence::roles::grants_of(conn, resident).await?;
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
        held.insert(resident, (head, viewer.clone()));
        Ok(Some(viewer))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (i64, Arc<Viewer>)>> {
        // Every write is one insert or a clear: a panic elsewhere leaves the map whole.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
