//! Positions: appointing a resident over a unit for a term, ending a holding, and the
//! holder's choice to show their phone number. Applied inside the engine's transaction.
//!
//! A holding is over the kind of unit its position is for (`wrong_unit` otherwise); the four
//! elected levels and grid workers have one holder at a time, so a term that overlaps
//! another holding of the same position over the same unit is refused (`term_overlaps`).
//! Ending a holding keeps its row: the history of who held what stays.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};

use super::entity::position;
use super::wire::*;
use super::{authorize, changes, created_already, live_cell, live_unit, rules};
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Target};
use crate::domain::territory::{PositionKind, UnitKind};
use crate::entity::resident;
use crate::features::{Ctx, Decision, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

fn community(ctx: &Ctx<'_>) -> Target {
    Target::Community {
        id: ctx.actor.community_id,
    }
}

pub async fn assign(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &PositionAssignArgs,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::AppointPositions, community(ctx)) {
        return Ok(*o);
    }
    if let Some(existing) = position::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            changes::position(&existing),
        ));
    }
    let kind = PositionKind::from(a.kind);
    let decision = match rules::decision(a.decision.as_deref().unwrap_or_default()) {
        Ok(d) => d,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    if a.ends_on.is_some_and(|end| end < a.starts_on) {
        return Ok(Outcome::invalid(FieldError::new(
            "ends_on",
            "must not be before starts_on",
        )));
    }
    if let Err(o) = held_over(conn, ctx, kind, a.unit_id).await? {
        return Ok(*o);
    }
    let Some(holder) = resident::Entity::find_by_id(a.resident_id)
        .one(conn)
        .await?
        .filter(|r| r.community_id == ctx.actor.community_id && r.deleted_at.is_none())
    else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such resident",
            None,
        ));
    };
    if kind.single_holder() {
        let mut others = position::Entity::find()
            .filter(position::Column::CommunityId.eq(ctx.actor.community_id))
            .filter(position::Column::Kind.eq(kind.as_str()))
            .filter(position::Column::DeletedAt.is_null());
        others = match a.unit_id {
            Some(u) => others.filter(position::Column::UnitId.eq(u)),
            None => others.filter(position::Column::UnitId.is_null()),
        };
        let term = (a.starts_on, a.ends_on);
        if let Some(clash) = others
            .all(conn)
            .await?
            .into_iter()
            .find(|p| rules::terms_overlap(term, (p.starts_on, p.ends_on)))
        {
            return Ok(Outcome::rejected(
                MutationCode::TermOverlaps,
                format!(
                    "{} holds this position from {} {}; end that term first",
                    clash.holder_name,
                    clash.starts_on,
                    clash.ends_on.map(|e| format!("to {e}")).unwrap_or_default()
                ),
                Some(changes::position(&clash)),
            ));
        }
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let row = position::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        kind: kind.as_str().to_owned(),
        unit_id: a.unit_id,
        resident_id: holder.id,
        holder_name: holder.display_name.clone(),
        starts_on: a.starts_on,
        ends_on: a.ends_on,
        appointed_by: Some(ctx.actor.resident_id),
        decision,
        show_phone: false,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    position::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(
        Outcome::applied(Some(changes::position(&row)), Some(version)).audited(
            "position.assign",
            Some(row.id),
            format!("{} {}", kind.as_str(), holder.id),
        ),
    )
}

/// Whether `kind` may be held over `unit` (a live unit or grid cell of the actor's
/// community of a kind the position is held over; none for the community-wide ones): the
/// refusal (`not_found`, `wrong_unit`) if not. Appointments and elections both ask it.
pub(crate) async fn held_over(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    kind: PositionKind,
    unit: Option<uuid::Uuid>,
) -> Result<Decision<()>> {
    let over = kind.held_over();
    let unit_kind = match unit {
        None => None,
        Some(id) => match live_unit(conn, ctx.actor, id).await? {
            Some(u) => UnitKind::parse(&u.kind),
            None if live_cell(conn, ctx.actor, id).await? => Some(UnitKind::Cell),
            None => {
                return Ok(Err(Box::new(Outcome::rejected(
                    MutationCode::NotFound,
                    "no such unit",
                    None,
                ))));
            }
        },
    };
    let fits = match unit_kind {
        None => over.is_empty(),
        Some(k) => over.contains(&k),
    };
    if fits {
        return Ok(Ok(()));
    }
    Ok(Err(Box::new(Outcome::rejected(
        MutationCode::WrongUnit,
        format!(
            "a {} is held over {}",
            kind.as_str(),
            if over.is_empty() {
                "the whole community (no unit)".to_owned()
            } else {
                over.iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            }
        ),
        None,
    ))))
}

async fn live_position(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: uuid::Uuid,
) -> Result<Option<position::Model>> {
    Ok(position::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|p| p.community_id == ctx.actor.community_id && p.deleted_at.is_none()))
}

pub async fn end(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &PositionEndArgs,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::AppointPositions, community(ctx)) {
        return Ok(*o);
    }
    let Some(mut row) = live_position(conn, ctx, a.id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such holding",
            None,
        ));
    };
    if a.ends_on < row.starts_on {
        return Ok(Outcome::invalid(FieldError::new(
            "ends_on",
            "must not be before the term began",
        )));
    }
    // A term only shortens: ending it later than it was set to end would need a new term.
    let ends_on: NaiveDate = row.ends_on.map_or(a.ends_on, |e| e.min(a.ends_on));
    row.ends_on = Some(ends_on);
    row.version = bump_version(conn, ctx.actor.community_id).await?;
    position::Entity::update(row.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(
        Outcome::applied(Some(changes::position(&row)), Some(row.version)).audited(
            "position.end",
            Some(row.id),
            ends_on.to_string(),
        ),
    )
}

pub async fn show_phone(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &PositionShowPhoneArgs,
) -> Result<Outcome> {
    let Some(mut row) = live_position(conn, ctx, a.id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such holding",
            None,
        ));
    };
    if row.resident_id != ctx.actor.resident_id {
        return Ok(Outcome::rejected(
            MutationCode::Forbidden,
            "only the holder chooses whether their number is shown",
            Some(changes::position(&row)),
        ));
    }
    if row.show_phone == a.show_phone {
        return Ok(Outcome::applied(Some(changes::position(&row)), None));
    }
    row.show_phone = a.show_phone;
    row.version = bump_version(conn, ctx.actor.community_id).await?;
    position::Entity::update(row.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::position(&row)),
        Some(row.version),
    ))
}
