//! Units, grid cells and households, applied inside the engine's transaction.
//!
//! The territory changes rarely and only by the committee's officers, so a unit's fields are
//! last-writer-wins in the order pushes reach the writer (no per-field clocks). What must
//! never happen is refused with a stable code and nothing written: a unit under the wrong
//! kind of parent or under a parent that is gone (an orphan; cycles cannot be built, the
//! kinds only go down), two live units of a kind with one name under one parent
//! (`name_taken`), deleting a unit with anything under it (`unit_not_empty`), a building
//! put in a second cell (`building_in_another_cell`), and two households on one flat.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::entity::{grid_cell, household, position, residency, unit};
use super::wire::*;
use super::{authorize, changes, created_already, live_unit, place_of_building, rules};
use crate::domain::permissions::{Action, Target};
use crate::domain::territory::UnitKind;
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

fn community(ctx: &Ctx<'_>) -> Target {
    Target::Community {
        id: ctx.actor.community_id,
    }
}

/// Whether a live unit of `kind` named `name` sits under `parent` (other than `except`).
async fn name_taken(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    kind: UnitKind,
    parent: Option<Uuid>,
    name: &str,
    except: Uuid,
) -> Result<bool> {
    let mut q = unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(ctx.actor.community_id))
        .filter(unit::Column::Kind.eq(kind.as_str()))
        .filter(unit::Column::Name.eq(name))
        .filter(unit::Column::DeletedAt.is_null())
        .filter(unit::Column::Id.ne(except));
    q = match parent {
        Some(p) => q.filter(unit::Column::ParentId.eq(p)),
        None => q.filter(unit::Column::ParentId.is_null()),
    };
    Ok(q.one(conn).await?.is_some())
}

pub async fn unit_create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &UnitCreateArgs,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::ManageTerritory, community(ctx)) {
        return Ok(*o);
    }
    let name = match rules::unit_name(&a.name) {
        Ok(n) => n,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let kind = UnitKind::from(a.kind);
    let parent_kind = match a.parent_id {
        None => None,
        Some(p) => match live_unit(conn, ctx.actor, p).await? {
            Some(parent) => UnitKind::parse(&parent.kind),
            None => {
                return Ok(Outcome::rejected(
                    MutationCode::NotFound,
                    "the parent unit does not exist (or was deleted)",
                    None,
                ));
            }
        },
    };
    if !kind.may_sit_under(parent_kind) {
        return Ok(Outcome::invalid(crate::domain::FieldError::new(
            "parent_id",
            "a compound has no parent, an area sits in a compound, a building in an area or a compound",
        )));
    }
    if let Some(existing) = unit::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            changes::unit(&existing),
        ));
    }
    if name_taken(conn, ctx, kind, a.parent_id, &name, a.id).await? {
        return Ok(Outcome::rejected(
            MutationCode::NameTaken,
            format!("there is already a {} named {name} here", kind.as_str()),
            None,
        ));
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let row = unit::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        kind: kind.as_str().to_owned(),
        parent_id: a.parent_id,
        name,
        cell_id: None,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    unit::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(Some(changes::unit(&row)), Some(version)))
}

pub async fn unit_rename(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &UnitRenameArgs,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::ManageTerritory, community(ctx)) {
        return Ok(*o);
    }
    let Some(mut row) = live_unit(conn, ctx.actor, a.id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such unit",
            None,
        ));
    };
    let name = match rules::unit_name(&a.name) {
        Ok(n) => n,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let kind = UnitKind::parse(&row.kind).unwrap_or(UnitKind::Building);
    if name_taken(conn, ctx, kind, row.parent_id, &name, row.id).await? {
        return Ok(Outcome::rejected(
            MutationCode::NameTaken,
            format!("there is already a {} named {name} here", kind.as_str()),
            Some(changes::unit(&row)),
        ));
    }
    row.name = name;
    row.version = bump_version(conn, ctx.actor.community_id).await?;
    unit::Entity::update(row.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::unit(&row)),
        Some(row.version),
    ))
}

pub async fn unit_delete(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TerritoryRef,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::ManageTerritory, community(ctx)) {
        return Ok(*o);
    }
    let Some(mut row) = live_unit(conn, ctx.actor, a.id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such unit",
            None,
        ));
    };
    let children = unit::Entity::find()
        .filter(unit::Column::ParentId.eq(row.id))
        .filter(unit::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .is_some();
    let households = household::Entity::find()
        .filter(household::Column::BuildingId.eq(row.id))
        .filter(household::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .is_some();
    let holders = position::Entity::find()
        .filter(position::Column::UnitId.eq(row.id))
        .filter(position::Column::DeletedAt.is_null())
        .filter(position::Column::EndsOn.is_null())
        .one(conn)
        .await?
        .is_some();
    if children || households || holders {
        return Ok(Outcome::rejected(
            MutationCode::UnitNotEmpty,
            "this unit still has units, households or position holders; move or end them first",
            Some(changes::unit(&row)),
        ));
    }
    row.version = bump_version(conn, ctx.actor.community_id).await?;
    row.deleted_at = Some(ctx.now);
    unit::Entity::update(row.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(
        Outcome::applied(Some(changes::unit(&row)), Some(row.version)).audited(
            "unit.delete",
            Some(row.id),
            row.name.clone(),
        ),
    )
}

pub async fn cell_create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CellCreateArgs,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::ManageTerritory, community(ctx)) {
        return Ok(*o);
    }
    let name = match rules::unit_name(&a.name) {
        Ok(n) => n,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    if let Some(existing) = grid_cell::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            changes::cell(&existing),
        ));
    }
    let taken = grid_cell::Entity::find()
        .filter(grid_cell::Column::CommunityId.eq(ctx.actor.community_id))
        .filter(grid_cell::Column::Name.eq(name.as_str()))
        .filter(grid_cell::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .is_some();
    if taken {
        return Ok(Outcome::rejected(
            MutationCode::NameTaken,
            format!("there is already a grid cell named {name}"),
            None,
        ));
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let row = grid_cell::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        name,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    grid_cell::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(Some(changes::cell(&row)), Some(version)))
}

pub async fn cell_assign(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CellAssignArgs,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::ManageTerritory, community(ctx)) {
        return Ok(*o);
    }
    let Some(mut building) = live_unit(conn, ctx.actor, a.building_id)
        .await?
        .filter(|u| u.kind == UnitKind::Building.as_str())
    else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such building",
            None,
        ));
    };
    if let Some(cell) = a.cell_id {
        let live = grid_cell::Entity::find_by_id(cell)
            .one(conn)
            .await?
            .is_some_and(|c| c.community_id == ctx.actor.community_id && c.deleted_at.is_none());
        if !live {
            return Ok(Outcome::rejected(
                MutationCode::NotFound,
                "no such grid cell",
                None,
            ));
        }
        if building.cell_id.is_some_and(|c| c != cell) {
            return Ok(Outcome::rejected(
                MutationCode::BuildingInAnotherCell,
                "this building is in another grid cell; take it out of that one first",
                Some(changes::unit(&building)),
            ));
        }
    }
    if building.cell_id == a.cell_id {
        return Ok(Outcome::applied(Some(changes::unit(&building)), None));
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    building.cell_id = a.cell_id;
    building.version = version;
    unit::Entity::update(building.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    // The building's residencies are seen over their cell: they move with it (one statement).
    residency::Entity::update_many()
        .col_expr(residency::Column::CellId, a.cell_id.into())
        .col_expr(residency::Column::Version, version.into())
        .filter(residency::Column::BuildingId.eq(building.id))
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::unit(&building)),
        Some(version),
    ))
}

pub async fn household_create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &HouseholdCreateArgs,
) -> Result<Outcome> {
    let Some((building, place)) = place_of_building(conn, ctx.actor, a.building_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such building",
            None,
        ));
    };
    let target = Target::Place {
        community_id: building.community_id,
        place,
    };
    if let Err(o) = authorize(ctx.actor, Action::KeepRoll, target) {
        return Ok(*o);
    }
    let (entrance, room) = match rules::flat(&a.entrance, &a.room, a.floor) {
        Ok(v) => v,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    if let Some(existing) = household::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            changes::household(&existing),
        ));
    }
    let taken = household::Entity::find()
        .filter(household::Column::BuildingId.eq(building.id))
        .filter(household::Column::Entrance.eq(entrance.as_str()))
        .filter(household::Column::Room.eq(room.as_str()))
        .filter(household::Column::DeletedAt.is_null())
        .one(conn)
        .await?;
    if let Some(h) = taken {
        return Ok(Outcome::rejected(
            MutationCode::NameTaken,
            "this flat is already a household of the building",
            Some(changes::household(&h)),
        ));
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let row = household::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        building_id: building.id,
        compound_id: place.compound.unwrap_or(building.id),
        area_id: place.area,
        entrance,
        floor: a.floor,
        room,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    household::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::household(&row)),
        Some(version),
    ))
}
