//! What a resident's phone may receive in pulls.
//!
//! Groups and their series are the community's notice board: every resident of the
//! community sees them (invite-only decides who may join, not who may read the schedule).
//! Memberships, sign-ups and attendance say who belongs, comes and serves where, which is
//! personal: a resident sees their own, a group's leaders see their group's, and the
//! community's admins see all. Seat counts (tallies) are for everyone.
//!
//! A resident's [`SyncScope`] is everything beyond their own rows that widens what they see.
//! Pull cursors carry the scope they were made under; when it differs from the resident's
//! scope now, the pull reconciles: newly visible memberships arrive as puts, ones no longer
//! visible as deletes.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::permissions::{Actor, Role, Scope};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncScope {
    /// Admin of the community: sees every membership.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// Groups the resident leads: sees their memberships.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub leads: BTreeSet<Uuid>,
}

impl SyncScope {
    pub fn of(actor: &Actor) -> Self {
        Self {
            admin: actor.is_admin_of(actor.community_id),
            leads: actor
                .grants
                .iter()
                .filter_map(|g| match (g.role, g.scope) {
                    (Role::Leader, Scope::Group(id)) => Some(id),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Everything either scope sees (for reconciling after a change of scope).
    pub fn union(&self, other: &Self) -> Self {
        Self {
            admin: self.admin || other.admin,
            leads: self.leads.union(&other.leads).copied().collect(),
        }
    }

    /// Whether `viewer` with this scope sees a personal row (a membership, sign-up or
    /// attendance) of `member` in `group`.
    pub fn sees_personal(&self, viewer: Uuid, member: Uuid, group: Uuid) -> bool {
        viewer == member || self.admin || self.leads.contains(&group)
    }
}

/// The deterministic id of `resident`'s membership in `group`: two phones of one resident
/// joining offline name the same membership, so they make one.
pub fn membership_id(group: Uuid, resident: Uuid) -> Uuid {
    Uuid::new_v5(&group, resident.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residents_see_their_own_memberships_leaders_their_groups_admins_all() {
        let (me, neighbour) = (Uuid::now_v7(), Uuid::now_v7());
        let (choir, dance) = (Uuid::now_v7(), Uuid::now_v7());
        let plain = SyncScope::default();
        assert!(plain.sees_personal(me, me, choir));
        assert!(!plain.sees_personal(me, neighbour, choir));
        let leader = SyncScope {
            admin: false,
            leads: [choir].into(),
        };
        assert!(leader.sees_personal(me, neighbour, choir));
        assert!(!leader.sees_personal(me, neighbour, dance));
        let admin = SyncScope {
            admin: true,
            leads: BTreeSet::new(),
        };
        assert!(admin.sees_personal(me, neighbour, dance));
    }

    #[test]
    fn membership_ids_are_deterministic_and_distinct() {
        let (g, r) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(membership_id(g, r), membership_id(g, r));
        assert_ne!(membership_id(g, r), membership_id(r, g));
    }
}
