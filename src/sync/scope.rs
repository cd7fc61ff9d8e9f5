//! How far a resident's phone sees beyond its own rows.
//!
//! Public rows go to everyone in the community. Personal rows (who belongs, comes and serves
//! where) go to their owner, to the community's admins, and to holders of a seeing role over
//! the object the row belongs to: a group's leaders see its memberships and sign-ups, and
//! later a building leader their building's households. Which roles see over which objects
//! is the app's to say ([`SyncApp::scope_of`](super::registry::SyncApp::scope_of)); the
//! engine only compares scopes.
//!
//! Pull cursors carry the scope they were made under; when it differs from the resident's
//! scope now, the pull reconciles: newly visible rows arrive as puts, ones no longer visible
//! as deletes.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncScope {
    /// Admin of the community: sees every personal row.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// Objects whose personal rows the resident sees. (Named `leads` in cursors made when
    /// only group leaders had any.)
    #[serde(rename = "leads", default, skip_serializing_if = "BTreeSet::is_empty")]
    pub over: BTreeSet<Uuid>,
}

impl SyncScope {
    /// Everything either scope sees (for reconciling after a change of scope).
    pub fn union(&self, other: &Self) -> Self {
        Self {
            admin: self.admin || other.admin,
            over: self.over.union(&other.over).copied().collect(),
        }
    }

    /// Whether `viewer` with this scope sees a personal row of `owner` that belongs to the
    /// objects `over`.
    pub fn sees_personal(&self, viewer: Uuid, owner: Uuid, over: &[Uuid]) -> bool {
        viewer == owner || self.admin || over.iter().any(|o| self.over.contains(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residents_see_their_own_rows_holders_their_objects_admins_all() {
        let (me, neighbour) = (Uuid::now_v7(), Uuid::now_v7());
        let (choir, dance) = (Uuid::now_v7(), Uuid::now_v7());
        let plain = SyncScope::default();
        assert!(plain.sees_personal(me, me, &[choir]));
        assert!(!plain.sees_personal(me, neighbour, &[choir]));
        let leader = SyncScope {
            admin: false,
            over: [choir].into(),
        };
        assert!(leader.sees_personal(me, neighbour, &[choir]));
        assert!(!leader.sees_personal(me, neighbour, &[dance]));
        let admin = SyncScope {
            admin: true,
            over: BTreeSet::new(),
        };
        assert!(admin.sees_personal(me, neighbour, &[dance]));
    }

    #[test]
    fn cursors_made_before_the_rename_read_the_same() {
        let choir = Uuid::now_v7();
        let old = format!(r#"{{"leads":["{choir}"]}}"#);
        let scope: SyncScope = serde_json::from_str(&old).unwrap();
        assert_eq!(scope.over, [choir].into());
        assert_eq!(serde_json::to_string(&scope).unwrap(), old);
    }
}
