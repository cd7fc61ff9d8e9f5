//! # Territory: compounds, areas, buildings, grid cells, households, the roll, and positions
//!
//! Sun Village is organised on the ground: 4 compounds (小區), areas (片區) in some of them,
//! buildings, about 5,000 households and nearly 20,000 residents; grid cells (網格) partition
//! the buildings a second way, one grid worker each. Residents elect building leaders,
//! area leaders, branch presidents and a president; others are appointed (representatives,
//! the help team, mediators, election officers, the mining company's liaisons). Every later
//! capability asks who lives where and who holds which position over which part of it.
//!
//! How the pieces fit:
//! - [`wire`]: the mutations phones push and the changes they pull (the contract);
//! - [`units`]: units, grid cells and households; [`roll`]: residents' claims on their
//!   household, their confirmation, residents recorded without an account, moving out;
//!   [`positions`]: holdings and their terms; each applied inside the engine's transaction;
//! - [`changes`]: rows as the changes phones receive;
//! - [`rules`], as plain functions: births and the voting age, a residency's states, terms,
//!   field limits;
//! - [`entity`]: its tables (the schema is in `migrations/`);
//! - [`http`]: REST reads (a building's roll and census, the positions held, one's leaders);
//! - [`export`]: what it holds about a resident, and what it lets go of at their deletion;
//! - [`import`]: the committee's Excel rosters, read with `calamine`; [`census`]: the census
//!   written as a workbook with `rust_xlsxwriter`.
//!
//! What it declares to the sync engine (this file): its synced tables with their audience,
//! a handler for each mutation, the roles it gives (a position held today over its unit or
//! the community; living in a confirmed household), and what each role sees.
//!
//! Visibility: units, cells, households (flats, without people) and positions (with the
//! holder's name) are the community's notice board: residents must know who their building
//! leader is. A residency (a person's name, birth, household) is personal: it is seen by the
//! resident, by the other residents of a confirmed household, and by the holders who keep
//! the roll over its building, area, compound or cell (and community-wide by the president,
//! vice president and admins). A holder's phone number goes only to the residents of their
//! unit, and only if the holder chooses (`GET /api/v1/me/leaders`).

pub mod census;
pub mod changes;
pub mod entity;
pub mod export;
pub mod http;
pub mod import;
pub mod positions;
pub mod roll;
pub mod rules;
pub mod units;
pub mod wire;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::permissions::{self, Action, Actor, Grant, Role, Scope, Target, Verdict};
use crate::domain::territory::{Place, PositionKind, UnitKind};
use crate::features::{App, Change, Ctx, Decision, MutationCode, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use entity::{grid_cell, household, position, residency, unit};
use wire::*;

/// Feed order within one version, after the schedule's: a cell before the buildings in it,
/// a unit before its households, a household before its residencies.
pub mod rank {
    pub const CELL: u8 = 10;
    pub const UNIT: u8 = 11;
    pub const HOUSEHOLD: u8 = 12;
    pub const RESIDENCY: u8 = 13;
    pub const POSITION: u8 = 14;
}

/// A residency is its resident's, and seen over its household (by the household's other
/// residents), its building, area, compound and cell (by the holders keeping their roll), and
/// the community (by the president and vice president).
const BY_PLACE: Audience = Audience::Personal {
    owner: "resident_id",
    over: &[
        "household_id",
        "building_id",
        "area_id",
        "compound_id",
        "cell_id",
        "community_id",
    ],
};

/// The territory's synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<grid_cell::Entity, A>::new(
            "cell",
            rank::CELL,
            Audience::Public,
            Encode::Each(changes::cell),
            |id| Change::Cell(CellChange::gone(id)),
        )),
        Box::new(Table::<unit::Entity, A>::new(
            "unit",
            rank::UNIT,
            Audience::Public,
            Encode::Each(changes::unit),
            |id| Change::Unit(UnitChange::gone(id)),
        )),
        Box::new(Table::<household::Entity, A>::new(
            "household",
            rank::HOUSEHOLD,
            Audience::Public,
            Encode::Each(changes::household),
            |id| Change::Household(HouseholdChange::gone(id)),
        )),
        Box::new(Table::<residency::Entity, A>::new(
            "residency",
            rank::RESIDENCY,
            BY_PLACE,
            Encode::Each(changes::residency),
            |id| Change::Residency(ResidencyChange::gone(id)),
        )),
        Box::new(Table::<position::Entity, A>::new(
            "position",
            rank::POSITION,
            Audience::Public,
            Encode::Each(changes::position),
            |id| Change::Position(PositionChange::gone(id)),
        )),
    ]
}

/// The community's calendar day at `now` (terms and moves are in local days).
pub fn local_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Shanghai).date_naive()
}

/// The roles the territory gives: each position held today, over its unit or the
/// community; and living in a confirmed household.
pub async fn grants_of(conn: &impl ConnectionTrait, resident: Uuid) -> Result<Vec<Grant>, DbErr> {
    let today = local_today(Utc::now());
    let held = position::Entity::find()
        .filter(position::Column::ResidentId.eq(resident))
        .filter(position::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let mut grants: Vec<Grant> = held
        .into_iter()
        .filter(|p| rules::term_covers(p.starts_on, p.ends_on, today))
        .filter_map(|p| {
            Some(Grant {
                role: Role::Holds(PositionKind::parse(&p.kind)?),
                scope: match p.unit_id {
                    Some(u) => Scope::Unit(u),
                    None => Scope::Community(p.community_id),
                },
            })
        })
        .collect();
    if let Some(home) = roll::open_residency(conn, resident, today).await?
        && rules::Status::parse(&home.status) == rules::Status::Verified
        && home.moved_in <= today
    {
        grants.push(Grant {
            role: Role::Householder,
            scope: Scope::Household(home.household_id),
        });
        // Living in a household is living in its building, area and compound too: the units
        // whose residents' business (deliberation's topics, meetings, decisions) is theirs.
        for unit in [Some(home.building_id), home.area_id, Some(home.compound_id)]
            .into_iter()
            .flatten()
        {
            grants.push(Grant {
                role: Role::Householder,
                scope: Scope::Unit(unit),
            });
        }
    }
    Ok(grants)
}

/// What the territory's roles see: holders keeping a roll see the residencies over their
/// unit (or the community); a confirmed household's residents see each other's.
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    actor.grants.iter().filter_map(|g| match (g.role, g.scope) {
        (Role::Holds(p), scope) if p.keeps_the_roll() => Some(scope.id()),
        (Role::Householder, Scope::Household(h)) => Some(h),
        _ => None,
    })
}

/// The territory's answer to the one permission rule, as a mutation's outcome.
pub(crate) fn authorize(actor: &Actor, action: Action, target: Target) -> Decision<()> {
    match permissions::decide(actor, action, target) {
        Verdict::Allowed => Ok(()),
        Verdict::Forbidden => Err(Box::new(Outcome::rejected(
            MutationCode::Forbidden,
            "you are not allowed to do this here",
            None,
        ))),
        Verdict::Invisible => Err(Box::new(Outcome::rejected(
            MutationCode::NotFound,
            "no such object",
            None,
        ))),
    }
}

/// The answer to a create whose id is taken: the same create sent again (by another of the
/// committee's phones, or a re-run import) is applied once, with the object as it is; an id
/// of another community is a conflict, and says nothing of it.
pub(crate) fn created_already(owner: Uuid, actor: &Actor, as_it_is: Change) -> Outcome {
    if owner == actor.community_id {
        Outcome::applied(Some(as_it_is), None)
    } else {
        Outcome::rejected(MutationCode::Conflict, "this id is already in use", None)
    }
}

/// The live unit `id` of the actor's community.
pub(crate) async fn live_unit(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<unit::Model>, DbErr> {
    Ok(unit::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|u| u.community_id == actor.community_id && u.deleted_at.is_none()))
}

/// Whether `id` is a live grid cell of the actor's community.
pub(crate) async fn live_cell(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<bool, DbErr> {
    Ok(grid_cell::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some_and(|c| c.community_id == actor.community_id && c.deleted_at.is_none()))
}

/// A live building of the actor's community, and where it is: its area and compound (read
/// up the tree, at most two steps) and its cell.
pub(crate) async fn place_of_building(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<(unit::Model, Place)>, DbErr> {
    let Some(building) = live_unit(conn, actor, id)
        .await?
        .filter(|u| u.kind == UnitKind::Building.as_str())
    else {
        return Ok(None);
    };
    let mut place = Place {
        household: None,
        building: Some(building.id),
        area: None,
        compound: None,
        cell: building.cell_id,
    };
    let mut parent = building.parent_id;
    while let Some(p) = parent {
        let Some(u) = unit::Entity::find_by_id(p).one(conn).await? else {
            break;
        };
        match UnitKind::parse(&u.kind) {
            Some(UnitKind::Area) => place.area = Some(u.id),
            Some(UnitKind::Compound) => place.compound = Some(u.id),
            _ => {}
        }
        parent = u.parent_id;
    }
    Ok(Some((building, place)))
}

/// Where a residency's household is, from the row itself.
pub(crate) fn place_of_residency(r: &residency::Model) -> Place {
    Place {
        household: Some(r.household_id),
        building: Some(r.building_id),
        area: r.area_id,
        compound: Some(r.compound_id),
        cell: r.cell_id,
    }
}

handlers! {
    UnitCreateMutation = "unit.create" => units::unit_create;
    UnitRenameMutation = "unit.rename" => units::unit_rename;
    UnitDeleteMutation = "unit.delete" => units::unit_delete;
    CellCreateMutation = "cell.create" => units::cell_create;
    CellAssignMutation = "cell.assign" => units::cell_assign;
    HouseholdCreateMutation = "household.create" => units::household_create;
    ResidencyClaimMutation = "residency.claim" => roll::claim;
    ResidencyRecordMutation = "residency.record" => roll::record;
    ResidencyDecideMutation = "residency.decide" => roll::decide, changes_roles;
    ResidencyMoveOutMutation = "residency.move_out" => roll::move_out, changes_roles;
    PositionAssignMutation = "position.assign" => positions::assign, changes_roles;
    PositionEndMutation = "position.end" => positions::end, changes_roles;
    PositionShowPhoneMutation = "position.show_phone" => positions::show_phone;
}
