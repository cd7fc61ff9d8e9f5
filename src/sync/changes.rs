//! Rows as the changes a pull (or a push result) carries.

use super::wire::{
    Change, ChangeOp, GroupChange, GroupData, MemberRole, MembershipChange, MembershipData,
    SeriesChange, SeriesData,
};
use crate::entity::{membership, series, volunteer_group};

/// Feed order within one version: groups before memberships before series, so a phone never
/// sees a series before its group.
pub const GROUP_RANK: u8 = 0;
pub const MEMBERSHIP_RANK: u8 = 1;
pub const SERIES_RANK: u8 = 2;

pub fn group(g: &volunteer_group::Model) -> Change {
    Change::Group(GroupChange {
        id: g.id,
        op: if g.deleted_at.is_some() {
            ChangeOp::Delete
        } else {
            ChangeOp::Put
        },
        data: g.deleted_at.is_none().then(|| GroupData {
            id: g.id,
            name: g.name.clone(),
            description: g.description.clone(),
            venue: g.venue.clone(),
            is_open: g.is_open,
            created_at: g.created_at,
        }),
    })
}

pub fn membership(m: &membership::Model, display_name: &str) -> Change {
    Change::Membership(MembershipChange {
        id: m.id,
        op: if m.deleted_at.is_some() {
            ChangeOp::Delete
        } else {
            ChangeOp::Put
        },
        data: m.deleted_at.is_none().then(|| MembershipData {
            id: m.id,
            group_id: m.group_id,
            resident_id: m.resident_id,
            role: MemberRole::parse(&m.role),
            display_name: display_name.to_owned(),
        }),
    })
}

/// A membership the phone may have had but may no longer see.
pub fn membership_gone(m: &membership::Model) -> Change {
    Change::Membership(MembershipChange {
        id: m.id,
        op: ChangeOp::Delete,
        data: None,
    })
}

pub fn series(s: &series::Model) -> Change {
    Change::Series(SeriesChange {
        id: s.id,
        op: if s.deleted_at.is_some() {
            ChangeOp::Delete
        } else {
            ChangeOp::Put
        },
        data: s.deleted_at.is_none().then(|| SeriesData {
            id: s.id,
            group_id: s.group_id,
            title: s.title.clone(),
            description: s.description.clone(),
            location: s.location.clone(),
            starts_at: s.starts_at,
            duration_minutes: u32::try_from(s.duration_minutes).unwrap_or_default(),
            capacity: s.capacity.and_then(|c| u32::try_from(c).ok()),
            notes: s.notes.clone(),
        }),
    })
}
