//! The register's after-life of a decision: tasks that carry it out and their progress
//! (執行), the convener's report back, and residents' ratings of the result (監督). Applied
//! inside the engine's transaction.

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::entity::{decision, decision_rating, decision_task, task_update};
use super::rules::{self, DecisionState, Rating, TaskStatus};
use super::wire::*;
use super::{Reached, changes, convenes, level, lives_in, name_of, not_found, refused, sees};
use crate::domain::FieldError;
use crate::domain::permissions::{Role, Scope};
use crate::entity::resident;
use crate::features::schedule::entity::volunteer_group;
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// The id of a resident's rating of a decision.
pub fn rating_id(decision: Uuid, resident: Uuid) -> Uuid {
    Uuid::new_v5(&decision, resident.as_bytes())
}

/// The decision `id`, if the actor sees it.
pub(crate) async fn visible_decision(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<Option<decision::Model>> {
    Ok(decision::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|d| {
            d.community_id == ctx.actor.community_id
                && d.deleted_at.is_none()
                && (d.convener_id == ctx.actor.resident_id || sees(ctx.actor, &d.reach()))
        }))
}

pub async fn assign(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TaskAssignArgs,
) -> Result<Outcome> {
    if let Some(existing) = decision_task::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(crate::features::territory::created_already(
            existing.community_id,
            ctx.actor,
            changes::task(&existing),
        ));
    }
    let title = match rules::title(&a.title) {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let Some(d) = visible_decision(conn, ctx, a.decision_id).await? else {
        return Ok(not_found("no such decision"));
    };
    if let Err(o) = convenes(conn, ctx, level(d.unit_id, d.area_id, d.compound_id)).await? {
        return Ok(*o);
    }
    if d.state != DecisionState::InForce.as_str() {
        return Ok(refused(
            MutationCode::NotInForce,
            "that decision was amended or repealed",
            Some(changes::decision(&d)),
        ));
    }
    let owner_name = match a.owner.kind {
        OwnerKindWire::Resident => resident::Entity::find_by_id(a.owner.id)
            .one(conn)
            .await?
            .filter(|r| r.community_id == d.community_id && r.deleted_at.is_none())
            .map(|r| r.display_name),
        OwnerKindWire::Group => volunteer_group::Entity::find_by_id(a.owner.id)
            .one(conn)
            .await?
            .filter(|g| g.community_id == d.community_id && g.deleted_at.is_none())
            .map(|g| g.name),
    };
    let Some(owner_name) = owner_name else {
        return Ok(refused(
            MutationCode::OwnerOutsideCommunity,
            "a task's owner is a resident or a volunteer group of this community",
            None,
        ));
    };
    let version = bump_version(conn, d.community_id).await?;
    let row = decision_task::Model {
        id: a.id,
        community_id: d.community_id,
        decision_id: d.id,
        title,
        owner_kind: match a.owner.kind {
            OwnerKindWire::Resident => "resident",
            OwnerKindWire::Group => "group",
        }
        .into(),
        owner_id: a.owner.id,
        owner_name,
        due_on: a.due_on,
        status: TaskStatus::NotStarted.as_str().to_owned(),
        note: String::new(),
        updated_at: ctx.now,
        room_id: d.room_id,
        bench_id: d.bench_id,
        area_bench_id: d.area_bench_id,
        compound_bench_id: d.compound_bench_id,
        desk_id: d.desk_id,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    decision_task::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(Some(changes::task(&row)), Some(version)))
}

pub async fn report(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TaskReportArgs,
) -> Result<Outcome> {
    let note = match rules::short("note", &a.note) {
        Ok(n) => n,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let Some(mut t) = decision_task::Entity::find_by_id(a.task_id)
        .one(conn)
        .await?
        .filter(|t| t.community_id == ctx.actor.community_id && t.deleted_at.is_none())
    else {
        return Ok(not_found("no such task"));
    };
    let Some(d) = decision::Entity::find_by_id(t.decision_id)
        .one(conn)
        .await?
    else {
        return Ok(not_found("no such task"));
    };
    let owns = match t.owner_kind.as_str() {
        "group" => ctx.actor.holds(Role::Leader, Scope::Group(t.owner_id)),
        _ => t.owner_id == ctx.actor.resident_id,
    };
    if !owns {
        if !sees(ctx.actor, &d.reach()) {
            return Ok(not_found("no such task"));
        }
        if let Err(o) = convenes(conn, ctx, level(d.unit_id, d.area_id, d.compound_id)).await? {
            return Ok(*o);
        }
    }
    let version = bump_version(conn, t.community_id).await?;
    t.status = TaskStatus::from(a.status).as_str().to_owned();
    t.note = note.clone();
    t.updated_at = ctx.now;
    t.version = version;
    decision_task::Entity::update(t.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    task_update::Entity::insert(
        task_update::Model {
            id: Uuid::now_v7(),
            task_id: t.id,
            status: t.status.clone(),
            note,
            by_id: ctx.actor.resident_id,
            by_name: name_of(conn, ctx.actor).await?,
            at: ctx.now,
        }
        .into_active_model(),
    )
    .exec(conn)
    .await?;
    Ok(Outcome::applied(Some(changes::task(&t)), Some(version)))
}

pub async fn report_back(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &DecisionReportArgs,
) -> Result<Outcome> {
    let text = match rules::short("text", &a.text) {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let Some(mut d) = visible_decision(conn, ctx, a.decision_id).await? else {
        return Ok(not_found("no such decision"));
    };
    if d.convener_id != ctx.actor.resident_id
        && let Err(o) = convenes(conn, ctx, level(d.unit_id, d.area_id, d.compound_id)).await?
    {
        return Ok(*o);
    }
    d.report = Some(text);
    d.reported_at = Some(ctx.now);
    d.done = d.done || a.done;
    d.version = bump_version(conn, d.community_id).await?;
    decision::Entity::update(d.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::decision(&d)),
        Some(d.version),
    ))
}

pub async fn rate(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &DecisionRateArgs,
) -> Result<Outcome> {
    let comment = a.comment.as_deref().unwrap_or("").trim().to_owned();
    if comment.chars().count() > 200 {
        return Ok(Outcome::invalid(FieldError::new(
            "comment",
            "must be at most 200 characters",
        )));
    }
    let Some(mut d) = visible_decision(conn, ctx, a.decision_id).await? else {
        return Ok(not_found("no such decision"));
    };
    if !lives_in(ctx.actor, &level(d.unit_id, d.area_id, d.compound_id)) {
        return Ok(refused(
            MutationCode::OutsideUnit,
            "only verified residents of the decision's unit rate it",
            Some(changes::decision(&d)),
        ));
    }
    if !d.done {
        return Ok(refused(
            MutationCode::NotDone,
            "rate it once it is reported carried out",
            Some(changes::decision(&d)),
        ));
    }
    let id = rating_id(d.id, ctx.actor.resident_id);
    let rating = Rating::from(a.rating);
    let old = decision_rating::Entity::find_by_id(id).one(conn).await?;
    let count = |d: &mut decision::Model, r: Rating, by: i32| match r {
        Rating::Satisfied => d.satisfied += by,
        Rating::Partly => d.partly += by,
        Rating::NotSatisfied => d.not_satisfied += by,
    };
    if let Some(o) = old.as_ref().and_then(|o| Rating::parse(&o.rating)) {
        count(&mut d, o, -1);
    }
    count(&mut d, rating, 1);
    let version = bump_version(conn, d.community_id).await?;
    let row = decision_rating::Model {
        id,
        community_id: d.community_id,
        decision_id: d.id,
        resident_id: ctx.actor.resident_id,
        rating: rating.as_str().to_owned(),
        comment,
        room_id: d.room_id,
        bench_id: d.bench_id,
        area_bench_id: d.area_bench_id,
        compound_bench_id: d.compound_bench_id,
        desk_id: d.desk_id,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    if old.is_some() {
        decision_rating::Entity::delete_by_id(id).exec(conn).await?;
    }
    decision_rating::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    d.version = version;
    decision::Entity::update(d.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(Some(changes::rating(&row)), Some(version)))
}

/// Tasks past their due date and not done, for the register's flag.
pub fn overdue(t: &decision_task::Model, today: chrono::NaiveDate) -> bool {
    t.due_on < today && t.status != TaskStatus::Done.as_str()
}

/// The tasks of `decisions`, in one read.
pub async fn tasks_of(
    conn: &impl ConnectionTrait,
    decisions: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<decision_task::Model>> {
    decision_task::Entity::find()
        .filter(decision_task::Column::DecisionId.is_in(decisions))
        .filter(decision_task::Column::DeletedAt.is_null())
        .all(conn)
        .await
}
