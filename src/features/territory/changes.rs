//! Rows as the changes a pull (or a push result) carries.

use super::entity::{grid_cell, household, position, residency, unit};
use super::rules::{Relation, Status};
use super::wire::*;
use crate::domain::territory::{PositionKind, UnitKind};
use crate::features::Change;
use crate::sync::wire::ChangeOp;

fn op(deleted: bool) -> ChangeOp {
    ChangeOp::of(deleted)
}

pub fn unit(u: &unit::Model) -> Change {
    let kind = UnitKind::parse(&u.kind).and_then(UnitKindWire::of);
    Change::Unit(UnitChange {
        id: u.id,
        op: op(u.deleted_at.is_some() || kind.is_none()),
        data: kind
            .filter(|_| u.deleted_at.is_none())
            .map(|kind| UnitData {
                id: u.id,
                kind,
                parent_id: u.parent_id,
                name: u.name.clone(),
                cell_id: u.cell_id,
            }),
    })
}

pub fn cell(c: &grid_cell::Model) -> Change {
    Change::Cell(CellChange {
        id: c.id,
        op: op(c.deleted_at.is_some()),
        data: c.deleted_at.is_none().then(|| CellData {
            id: c.id,
            name: c.name.clone(),
        }),
    })
}

pub fn household(h: &household::Model) -> Change {
    Change::Household(HouseholdChange {
        id: h.id,
        op: op(h.deleted_at.is_some()),
        data: h.deleted_at.is_none().then(|| HouseholdData {
            id: h.id,
            building_id: h.building_id,
            entrance: h.entrance.clone(),
            floor: h.floor,
            room: h.room.clone(),
        }),
    })
}

pub fn residency(r: &residency::Model) -> Change {
    Change::Residency(ResidencyChange {
        id: r.id,
        op: op(r.deleted_at.is_some()),
        data: r.deleted_at.is_none().then(|| ResidencyData {
            id: r.id,
            household_id: r.household_id,
            building_id: r.building_id,
            resident_id: r.resident_id,
            name: r.name.clone(),
            born: r.born.clone(),
            relation: RelationWire::of(Relation::parse(&r.relation).unwrap_or(Relation::Family))
                .unwrap_or(RelationWire::Family),
            status: ResidencyStatus::of(Status::parse(&r.status))
                .unwrap_or(ResidencyStatus::Pending),
            moved_in: r.moved_in,
            moved_out: r.moved_out,
        }),
    })
}

pub fn position(p: &position::Model) -> Change {
    let kind = PositionKind::parse(&p.kind).and_then(PositionKindWire::of);
    Change::Position(PositionChange {
        id: p.id,
        op: op(p.deleted_at.is_some() || kind.is_none()),
        data: kind
            .filter(|_| p.deleted_at.is_none())
            .map(|kind| PositionData {
                id: p.id,
                kind,
                unit_id: p.unit_id,
                resident_id: p.resident_id,
                holder_name: p.holder_name.clone(),
                starts_on: p.starts_on,
                ends_on: p.ends_on,
                decision: p.decision.clone(),
                show_phone: p.show_phone,
            }),
    })
}
