//! The roll: residents' claims on households, their confirmation or refusal, residents
//! recorded without an account, and moving out. Applied inside the engine's transaction.
//!
//! A resident belongs to at most one household at a time: a claim (or a recording of an
//! account holder) is refused with `already_in_household` while another of their
//! residencies is open on the day it would begin; a partial unique index on open rows holds
//! it as well. Moving out ends a residency on a day and keeps the row as history, so what
//! happened while the resident lived there (votes counted, logs written) keeps its author.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::entity::{household, residency};
use super::rules::{self, Birth, Refusal, Relation, Status, Verdict};
use super::wire::*;
use super::{authorize, changes, local_today, place_of_building, place_of_residency};
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Actor, Target};
use crate::entity::resident;
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// The live household `id` of the actor's community.
async fn live_household(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<household::Model>> {
    Ok(household::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|h| h.community_id == actor.community_id && h.deleted_at.is_none()))
}

/// The resident's residency that is open on `day`, if any.
pub(crate) async fn open_residency(
    conn: &impl ConnectionTrait,
    resident: Uuid,
    day: NaiveDate,
) -> Result<Option<residency::Model>> {
    let rows = residency::Entity::find()
        .filter(residency::Column::ResidentId.eq(resident))
        .filter(residency::Column::DeletedAt.is_null())
        .filter(
            residency::Column::Status.is_in([Status::Pending.as_str(), Status::Verified.as_str()]),
        )
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .find(|r| r.moved_out.is_none_or(|out| out >= day)))
}

/// A new residency row in `h`.
struct NewResidency<'a> {
    id: Uuid,
    household: &'a household::Model,
    cell: Option<Uuid>,
    resident: Option<Uuid>,
    name: String,
    born: Birth,
    relation: Relation,
    status: Status,
    moved_in: NaiveDate,
    takes_over: Option<Uuid>,
}

async fn insert(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    n: NewResidency<'_>,
) -> Result<residency::Model> {
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let row = residency::Model {
        id: n.id,
        community_id: ctx.actor.community_id,
        household_id: n.household.id,
        building_id: n.household.building_id,
        area_id: n.household.area_id,
        compound_id: n.household.compound_id,
        cell_id: n.cell,
        resident_id: n.resident,
        name: n.name,
        born: n.born.to_text(),
        relation: n.relation.as_str().to_owned(),
        status: n.status.as_str().to_owned(),
        moved_in: n.moved_in,
        moved_out: None,
        recorded_by: ctx.actor.resident_id,
        decided_by: (n.status == Status::Verified).then_some(ctx.actor.resident_id),
        takes_over: n.takes_over,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    residency::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(row)
}

/// The outcome for an id already used: the same mutation sent again is applied once.
async fn existing(conn: &impl ConnectionTrait, ctx: &Ctx<'_>, id: Uuid) -> Result<Option<Outcome>> {
    Ok(residency::Entity::find_by_id(id).one(conn).await?.map(|r| {
        if r.community_id == ctx.actor.community_id && r.recorded_by == ctx.actor.resident_id {
            Outcome::applied(Some(changes::residency(&r)), None)
        } else {
            Outcome::rejected(MutationCode::Conflict, "this id is already in use", None)
        }
    }))
}

pub async fn claim(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ResidencyClaimArgs,
) -> Result<Outcome> {
    let today = local_today(ctx.now);
    let Some(household) = live_household(conn, ctx.actor, a.household_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such household",
            None,
        ));
    };
    if let Some(o) = existing(conn, ctx, a.id).await? {
        return Ok(o);
    }
    let me = resident::Entity::find_by_id(ctx.actor.resident_id)
        .one(conn)
        .await?;
    let validated = (|| -> std::result::Result<_, FieldError> {
        let name = match &a.name {
            Some(n) => rules::person_name(n)?,
            None => rules::person_name(me.as_ref().map(|m| m.display_name.as_str()).unwrap_or(""))?,
        };
        Ok((
            name,
            Birth::parse(&a.born, today)?,
            rules::moved_in(a.moved_in, today)?,
        ))
    })();
    let (name, born, moved_in) = match validated {
        Ok(v) => v,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    if let Some(open) = open_residency(conn, ctx.actor.resident_id, moved_in).await? {
        return Ok(Outcome::rejected(
            MutationCode::AlreadyInHousehold,
            "you already belong to a household; move out of it first",
            Some(changes::residency(&open)),
        ));
    }
    if let Some(recorded) = a.takes_over {
        let fits = live_residency(conn, ctx.actor, recorded)
            .await?
            .is_some_and(|r| {
                r.household_id == household.id
                    && r.resident_id.is_none()
                    && r.moved_out.is_none()
                    && Status::parse(&r.status) == Status::Verified
            });
        if !fits {
            return Ok(Outcome::invalid(FieldError::new(
                "takes_over",
                "must be a resident recorded without an account in this household, still living there",
            )));
        }
    }
    let cell = place_of_building(conn, ctx.actor, household.building_id)
        .await?
        .and_then(|(_, p)| p.cell);
    let row = insert(
        conn,
        ctx,
        NewResidency {
            id: a.id,
            household: &household,
            cell,
            resident: Some(ctx.actor.resident_id),
            name,
            born,
            relation: a.relation.into(),
            status: Status::Pending,
            moved_in,
            takes_over: a.takes_over,
        },
    )
    .await?;
    Ok(Outcome::applied(
        Some(changes::residency(&row)),
        Some(row.version),
    ))
}

pub async fn record(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ResidencyRecordArgs,
) -> Result<Outcome> {
    let today = local_today(ctx.now);
    let Some(household) = live_household(conn, ctx.actor, a.household_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such household",
            None,
        ));
    };
    let Some((_, place)) = place_of_building(conn, ctx.actor, household.building_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such household",
            None,
        ));
    };
    let target = Target::Place {
        community_id: household.community_id,
        place,
    };
    if let Err(o) = authorize(ctx.actor, Action::KeepRoll, target) {
        return Ok(*o);
    }
    if let Some(o) = existing(conn, ctx, a.id).await? {
        return Ok(o);
    }
    let validated = (|| -> std::result::Result<_, FieldError> {
        let moved_in = rules::moved_in(a.moved_in, today)?;
        Ok((
            rules::person_name(&a.name)?,
            Birth::parse(&a.born, today)?,
            moved_in,
        ))
    })();
    let (name, born, moved_in) = match validated {
        Ok(v) => v,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let row = insert(
        conn,
        ctx,
        NewResidency {
            id: a.id,
            household: &household,
            cell: place.cell,
            resident: None,
            name,
            born,
            relation: a.relation.into(),
            status: Status::Verified,
            moved_in,
            takes_over: None,
        },
    )
    .await?;
    Ok(Outcome::applied(
        Some(changes::residency(&row)),
        Some(row.version),
    ))
}

/// The live residency `id` of the actor's community.
async fn live_residency(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<residency::Model>> {
    Ok(residency::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|r| r.community_id == actor.community_id && r.deleted_at.is_none()))
}

pub async fn decide(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ResidencyDecideArgs,
) -> Result<Outcome> {
    let Some(mut row) = live_residency(conn, ctx.actor, a.id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such claim",
            None,
        ));
    };
    let target = Target::Place {
        community_id: row.community_id,
        place: place_of_residency(&row),
    };
    if let Err(o) = authorize(ctx.actor, Action::ConfirmClaim, target) {
        return Ok(*o);
    }
    let verdict = match a.verdict {
        ClaimVerdict::Confirm => Verdict::Confirm,
        ClaimVerdict::Refuse => Verdict::Refuse,
    };
    let status =
        match rules::decide_claim(Status::parse(&row.status), row.moved_out.is_some(), verdict) {
            Ok(s) => s,
            Err(Refusal::NotPending) => {
                return Ok(Outcome::rejected(
                    MutationCode::NotPending,
                    "this claim was decided already",
                    Some(changes::residency(&row)),
                ));
            }
            Err(Refusal::MovedOut) => {
                return Ok(Outcome::rejected(
                    MutationCode::MovedOut,
                    "this residency has ended",
                    Some(changes::residency(&row)),
                ));
            }
        };
    row.status = status.as_str().to_owned();
    row.decided_by = Some(ctx.actor.resident_id);
    row.version = bump_version(conn, ctx.actor.community_id).await?;
    // A resident recorded before they had an account: the recorded row becomes theirs (with
    // its history), and the claim, its work done, goes. The claim leaves the open rows first,
    // so the resident never holds two.
    let recorded = match (status, row.takes_over) {
        (Status::Verified, Some(id)) => live_residency(conn, ctx.actor, id)
            .await?
            .filter(|r| r.resident_id.is_none() && r.moved_out.is_none()),
        _ => None,
    };
    if let Some(mut recorded) = recorded {
        row.deleted_at = Some(ctx.now);
        residency::Entity::update(row.clone().into_active_model().reset_all())
            .exec(conn)
            .await?;
        recorded.resident_id = row.resident_id;
        recorded.decided_by = Some(ctx.actor.resident_id);
        recorded.version = row.version;
        residency::Entity::update(recorded.clone().into_active_model().reset_all())
            .exec(conn)
            .await?;
        return Ok(
            Outcome::applied(Some(changes::residency(&recorded)), Some(row.version)).audited(
                "residency.decide",
                Some(recorded.id),
                "verified, taken over",
            ),
        );
    }
    residency::Entity::update(row.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(
        Outcome::applied(Some(changes::residency(&row)), Some(row.version)).audited(
            "residency.decide",
            Some(row.id),
            status.as_str(),
        ),
    )
}

pub async fn move_out(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ResidencyMoveOutArgs,
) -> Result<Outcome> {
    let Some(mut row) = live_residency(conn, ctx.actor, a.id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such residency",
            None,
        ));
    };
    if row.resident_id != Some(ctx.actor.resident_id) {
        let target = Target::Place {
            community_id: row.community_id,
            place: place_of_residency(&row),
        };
        if let Err(o) = authorize(ctx.actor, Action::KeepRoll, target) {
            return Ok(*o);
        }
    }
    if row.moved_out.is_some() {
        return Ok(Outcome::rejected(
            MutationCode::MovedOut,
            "this residency has ended already",
            Some(changes::residency(&row)),
        ));
    }
    let on = a.on.unwrap_or_else(|| local_today(ctx.now));
    if on < row.moved_in {
        return Ok(Outcome::invalid(FieldError::new(
            "on",
            "must not be before the day they moved in",
        )));
    }
    row.moved_out = Some(on);
    row.version = bump_version(conn, ctx.actor.community_id).await?;
    residency::Entity::update(row.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::residency(&row)),
        Some(row.version),
    ))
}
