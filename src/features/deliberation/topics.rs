//! Topics: raising one, supporting it, putting it on the agenda or referring it up, its
//! comment thread and hiding a comment; and the units' deliberation rules. Applied inside
//! the engine's transaction.
//!
//! A topic's supports are counted on its row as they arrive; the one that reaches the
//! threshold (fixed when it was raised, from its unit's rule and verified residents) puts
//! it on the agenda in the same transaction, so every phone sees both at one version.

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::entity::{deliberation_rule, topic, topic_comment, topic_support};
use super::rules::{self, Level, Quorum, Reach, Threshold, TopicState};
use super::wire::*;
use super::{
    Reached, changes, convenes, level, level_of, lives_in, name_of, not_found, refused, sees,
};
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Role, Target};
use crate::domain::territory::PositionKind;
use crate::features::territory::authorize;
use crate::features::territory::entity::residency;
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// The id of a resident's support of a topic: two phones of one resident make one.
pub fn support_id(topic: Uuid, resident: Uuid) -> Uuid {
    Uuid::new_v5(&topic, resident.as_bytes())
}

/// The id of a unit's (or the community's) rules row.
pub fn rule_id(unit_or_community: Uuid) -> Uuid {
    Uuid::new_v5(&unit_or_community, b"linli-deliberation/rule")
}

/// The reach a topic row carries.
/// The live topic `id`, if the actor sees it.
pub(crate) async fn visible_topic(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<Option<topic::Model>> {
    Ok(topic::Entity::find_by_id(id).one(conn).await?.filter(|t| {
        t.community_id == ctx.actor.community_id
            && t.deleted_at.is_none()
            && (t.author_id == ctx.actor.resident_id || sees(ctx.actor, &t.reach()))
    }))
}

/// A level's rules: its own row, else the community's, else the defaults.
pub(crate) async fn rules_for(
    conn: &impl ConnectionTrait,
    community: Uuid,
    lvl: &Level,
) -> Result<(Threshold, Quorum)> {
    let mut ids = vec![rule_id(community)];
    if let Some(u) = lvl.unit {
        ids.insert(0, rule_id(u));
    }
    for id in ids {
        if let Some(r) = deliberation_rule::Entity::find_by_id(id).one(conn).await? {
            let threshold = match (r.support_count, r.support_pct) {
                (Some(n), _) => Threshold::Count(u32::try_from(n).unwrap_or(1)),
                (None, Some(p)) => Threshold::Percent(u32::try_from(p).unwrap_or(2)),
                (None, None) => Threshold::DEFAULT,
            };
            return Ok((threshold, Quorum::parse(&r.quorum).unwrap_or(Quorum::Half)));
        }
    }
    Ok((Threshold::DEFAULT, Quorum::Half))
}

/// Verified residents living in the level today.
async fn residents_of(conn: &impl ConnectionTrait, community: Uuid, lvl: &Level) -> Result<u32> {
    let mut q = residency::Entity::find()
        .filter(residency::Column::CommunityId.eq(community))
        .filter(residency::Column::DeletedAt.is_null())
        .filter(residency::Column::Status.eq("verified"))
        .filter(residency::Column::MovedOut.is_null());
    if let Some(u) = lvl.unit {
        q = q.filter(
            sea_orm::Condition::any()
                .add(residency::Column::BuildingId.eq(u))
                .add(residency::Column::AreaId.eq(u))
                .add(residency::Column::CompoundId.eq(u)),
        );
    }
    Ok(u32::try_from(q.count(conn).await?).unwrap_or(u32::MAX))
}

fn step(s: &str, unit: Option<Uuid>, by: Uuid, at: chrono::DateTime<chrono::Utc>) -> TopicStep {
    TopicStep {
        step: s.to_owned(),
        unit_id: unit,
        by: Some(by),
        at,
    }
}

fn push_step(t: &mut topic::Model, s: TopicStep) {
    let mut history: Vec<TopicStep> = serde_json::from_str(&t.history).unwrap_or_default();
    history.push(s);
    t.history = serde_json::to_string(&history).unwrap_or_else(|_| "[]".into());
}

/// The position the actor holds, for their name in a thread (the first elected one, else
/// any).
fn position_of(ctx: &Ctx<'_>) -> Option<String> {
    let held: Vec<PositionKind> = ctx
        .actor
        .grants
        .iter()
        .filter_map(|g| match g.role {
            Role::Holds(p) => Some(p),
            _ => None,
        })
        .collect();
    held.iter()
        .find(|p| p.elected())
        .or(held.first())
        .map(|p| p.as_str().to_owned())
}

pub async fn raise(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TopicRaiseArgs,
) -> Result<Outcome> {
    if let Some(existing) = topic::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(crate::features::territory::created_already(
            existing.community_id,
            ctx.actor,
            changes::topic(&existing),
        ));
    }
    let (title, description) = match (
        rules::title(&a.title),
        rules::description(a.description.as_deref().unwrap_or("")),
    ) {
        (Ok(t), Ok(d)) => (t, d),
        (Err(e), _) | (_, Err(e)) => return Ok(Outcome::invalid(e)),
    };
    let Some((lvl, target)) = level_of(conn, ctx.actor, a.unit_id).await? else {
        return Ok(not_found("no such building, area or compound"));
    };
    // Residents raise topics where they live; the committee over the unit anywhere in it.
    if !lives_in(ctx.actor, &lvl) && authorize(ctx.actor, Action::Convene, target).is_err() {
        return Ok(refused(
            MutationCode::OutsideUnit,
            "only verified residents of this unit (or its committee) raise topics here",
            None,
        ));
    }
    let (threshold, _) = rules_for(conn, ctx.actor.community_id, &lvl).await?;
    let residents = residents_of(conn, ctx.actor.community_id, &lvl).await?;
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let reach = Reach::of(ctx.actor.community_id, lvl);
    let history = vec![step("raised", lvl.unit, ctx.actor.resident_id, ctx.now)];
    let row = topic::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        unit_id: lvl.unit,
        area_id: lvl.area,
        compound_id: lvl.compound,
        room_id: reach.room_id,
        bench_id: reach.bench_id,
        area_bench_id: reach.area_bench_id,
        compound_bench_id: reach.compound_bench_id,
        desk_id: reach.desk_id,
        title,
        description,
        category: rules::Category::from(a.category).as_str().to_owned(),
        author_id: ctx.actor.resident_id,
        author_name: name_of(conn, ctx.actor).await?,
        state: TopicState::Open.as_str().to_owned(),
        supports: 0,
        threshold: i32::try_from(threshold.needed(residents)).unwrap_or(i32::MAX),
        history: serde_json::to_string(&history).unwrap_or_else(|_| "[]".into()),
        decision_id: None,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    topic::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(Some(changes::topic(&row)), Some(version)))
}

pub async fn support(conn: &impl ConnectionTrait, ctx: &Ctx<'_>, a: &TopicRef) -> Result<Outcome> {
    let Some(mut t) = visible_topic(conn, ctx, a.topic_id).await? else {
        return Ok(not_found("no such topic"));
    };
    let lvl = level(t.unit_id, t.area_id, t.compound_id);
    if !lives_in(ctx.actor, &lvl) {
        return Ok(refused(
            MutationCode::OutsideUnit,
            "only verified residents of the topic's unit support it",
            Some(changes::topic(&t)),
        ));
    }
    let id = support_id(t.id, ctx.actor.resident_id);
    if topic_support::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some()
    {
        return Ok(refused(
            MutationCode::AlreadySupported,
            "you support this topic already",
            Some(changes::topic(&t)),
        ));
    }
    let version = bump_version(conn, t.community_id).await?;
    topic_support::Entity::insert(
        topic_support::Model {
            id,
            community_id: t.community_id,
            topic_id: t.id,
            resident_id: ctx.actor.resident_id,
            version,
            created_at: ctx.now,
            deleted_at: None,
        }
        .into_active_model(),
    )
    .exec(conn)
    .await?;
    t.supports += 1;
    if TopicState::parse(&t.state) == Some(TopicState::Open) && t.supports >= t.threshold {
        t.state = TopicState::OnAgenda.as_str().to_owned();
        let s = TopicStep {
            step: "on_agenda".into(),
            unit_id: t.unit_id,
            by: None,
            at: ctx.now,
        };
        push_step(&mut t, s);
    }
    t.version = version;
    topic::Entity::update(t.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(Some(changes::topic(&t)), Some(version)))
}

pub async fn refer(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TopicReferArgs,
) -> Result<Outcome> {
    let Some(mut t) = visible_topic(conn, ctx, a.topic_id).await? else {
        return Ok(not_found("no such topic"));
    };
    let lvl = level(t.unit_id, t.area_id, t.compound_id);
    if let Err(o) = convenes(conn, ctx, lvl).await? {
        return Ok(*o);
    }
    if TopicState::parse(&t.state) == Some(TopicState::Decided) {
        return Ok(refused(
            MutationCode::TopicDecided,
            "a decision was made on this topic",
            Some(changes::topic(&t)),
        ));
    }
    if a.up == Some(true) {
        let Some(up) = lvl.up() else {
            return Ok(Outcome::invalid(FieldError::new(
                "up",
                "the topic is at the community's level already",
            )));
        };
        let reach = Reach::of(t.community_id, up);
        t.unit_id = up.unit;
        t.area_id = up.area;
        t.compound_id = up.compound;
        t.room_id = reach.room_id;
        t.bench_id = reach.bench_id;
        t.area_bench_id = reach.area_bench_id;
        t.compound_bench_id = reach.compound_bench_id;
        t.desk_id = reach.desk_id;
        t.state = TopicState::OnAgenda.as_str().to_owned();
        push_step(
            &mut t,
            step("referred_up", up.unit, ctx.actor.resident_id, ctx.now),
        );
        // The comments follow their topic up.
        let comments = topic_comment::Entity::find()
            .filter(topic_comment::Column::TopicId.eq(t.id))
            .filter(topic_comment::Column::DeletedAt.is_null())
            .filter(topic_comment::Column::HiddenReason.is_null())
            .all(conn)
            .await?;
        let version = bump_version(conn, t.community_id).await?;
        for mut c in comments {
            c.room_id = Some(reach.room_id);
            c.bench_id = Some(reach.bench_id);
            c.area_bench_id = reach.area_bench_id;
            c.compound_bench_id = reach.compound_bench_id;
            c.desk_id = Some(reach.desk_id);
            c.version = version;
            topic_comment::Entity::update(c.into_active_model().reset_all())
                .exec(conn)
                .await?;
        }
        t.version = version;
    } else {
        if TopicState::parse(&t.state) == Some(TopicState::OnAgenda) {
            return Ok(Outcome::applied(Some(changes::topic(&t)), None));
        }
        t.state = TopicState::OnAgenda.as_str().to_owned();
        let s = step("on_agenda", t.unit_id, ctx.actor.resident_id, ctx.now);
        push_step(&mut t, s);
        t.version = bump_version(conn, t.community_id).await?;
    }
    topic::Entity::update(t.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(Some(changes::topic(&t)), Some(t.version)))
}

pub async fn comment(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CommentPostArgs,
) -> Result<Outcome> {
    if let Some(existing) = topic_comment::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(crate::features::territory::created_already(
            existing.community_id,
            ctx.actor,
            changes::comment(&existing),
        ));
    }
    let body = match rules::comment(&a.body) {
        Ok(b) => b,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let Some(t) = visible_topic(conn, ctx, a.topic_id).await? else {
        return Ok(not_found("no such topic"));
    };
    let version = bump_version(conn, t.community_id).await?;
    let row = topic_comment::Model {
        id: a.id,
        community_id: t.community_id,
        topic_id: t.id,
        author_id: ctx.actor.resident_id,
        author_name: name_of(conn, ctx.actor).await?,
        author_position: position_of(ctx),
        body,
        hidden_reason: None,
        hidden_by: None,
        replaces: None,
        room_id: Some(t.room_id),
        bench_id: Some(t.bench_id),
        area_bench_id: t.area_bench_id,
        compound_bench_id: t.compound_bench_id,
        desk_id: Some(t.desk_id),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    topic_comment::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::comment(&row)),
        Some(version),
    ))
}

pub async fn hide(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CommentHideArgs,
) -> Result<Outcome> {
    let reason = match rules::short("reason", &a.reason) {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let Some(mut c) = topic_comment::Entity::find_by_id(a.comment_id)
        .one(conn)
        .await?
        .filter(|c| c.community_id == ctx.actor.community_id && c.hidden_reason.is_none())
    else {
        return Ok(not_found("no such comment"));
    };
    if c.deleted_at.is_some() {
        // Hidden already (by another holder's phone): the same outcome.
        return Ok(Outcome::applied(Some(changes::comment(&c)), None));
    }
    let Some(t) = visible_topic(conn, ctx, c.topic_id).await? else {
        return Ok(not_found("no such comment"));
    };
    if let Err(o) = convenes(conn, ctx, level(t.unit_id, t.area_id, t.compound_id)).await? {
        return Ok(*o);
    }
    let version = bump_version(conn, c.community_id).await?;
    let hidden = topic_comment::Model {
        id: Uuid::new_v5(&c.id, b"linli-deliberation/hidden"),
        hidden_reason: Some(reason),
        hidden_by: Some(ctx.actor.resident_id),
        replaces: Some(c.id),
        room_id: None,
        bench_id: None,
        area_bench_id: None,
        compound_bench_id: None,
        desk_id: None,
        version,
        ..c.clone()
    };
    topic_comment::Entity::insert(hidden.into_active_model())
        .exec(conn)
        .await?;
    c.deleted_at = Some(ctx.now);
    c.version = version;
    topic_comment::Entity::update(c.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(
        Outcome::applied(Some(changes::comment(&c)), Some(version)).audited(
            "comment.hide",
            Some(c.id),
            a.reason.clone(),
        ),
    )
}

pub async fn configure(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &DeliberationConfigureArgs,
) -> Result<Outcome> {
    let community = Target::Community {
        id: ctx.actor.community_id,
    };
    if let Err(o) = authorize(ctx.actor, Action::Convene, community) {
        return Ok(*o);
    }
    if a.unit_id.is_some() && level_of(conn, ctx.actor, a.unit_id).await?.is_none() {
        return Ok(not_found("no such building, area or compound"));
    }
    if a.supports_percent.is_some_and(|p| !(1..=100).contains(&p)) {
        return Ok(Outcome::invalid(FieldError::new(
            "supports_percent",
            "must be 1 to 100",
        )));
    }
    let id = rule_id(a.unit_id.unwrap_or(ctx.actor.community_id));
    let row = deliberation_rule::Model {
        id,
        community_id: ctx.actor.community_id,
        unit_id: a.unit_id,
        support_count: a
            .supports_needed
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
        support_pct: a.supports_percent.map(|n| i32::try_from(n).unwrap_or(100)),
        quorum: Quorum::from(a.quorum.unwrap_or(QuorumWire::Half))
            .as_str()
            .to_owned(),
        updated_at: ctx.now,
    };
    deliberation_rule::Entity::delete_by_id(id)
        .exec(conn)
        .await?;
    row.into_active_model().insert(conn).await?;
    Ok(Outcome::applied(None, None).audited(
        "deliberation.configure",
        a.unit_id,
        format!(
            "supports {:?}/{:?}%, quorum {:?}",
            a.supports_needed, a.supports_percent, a.quorum
        ),
    ))
}
