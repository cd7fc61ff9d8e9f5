//! Groups, memberships and series: applying their mutations inside the push transaction.
//!
//! Each function first decides (reads, permissions, validation) and only then writes, so a
//! rejection never leaves half a change behind. Writes take the community's next version from
//! [`bump_version`](crate::sync::write::bump_version) and stamp every row they touch with it.
//!
//! Conflict rules:
//! - plain fields merge per field, last writer (by HLC stamp) wins;
//! - a deleted group or series stays deleted: later edits, creates with its id, joins and
//!   series in a deleted group are rejected with `deleted` (delete wins);
//! - membership presence is itself a last-writer-wins field, so join and leave from several
//!   phones end the same way in any order of arrival, and leaving then rejoining works.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::changes;
use super::entity::{membership, series, volunteer_group};
use super::rules::bounds;
use super::rules::recurrence::{DEFAULT_TIMEZONE, Schedule, format_start_local};
use super::rules::signup::DEFAULT_WAITLIST_LIMIT;
use super::seats;
use super::wire::{
    GroupCreateArgs, GroupKind, GroupUpdateArgs, MemberRole, MemberSetRoleArgs, MembershipArgs,
    ObjectRef, SeriesCreateArgs, SeriesUpdateArgs,
};
use crate::domain::FieldError;
use crate::domain::merge::{FieldClocks, merge_field};
use crate::domain::permissions::{self, Action, Actor, Target, Verdict};
use crate::entity::resident;
use crate::features::{Change, Ctx, Decision, MutationCode, Outcome};
use crate::sync::write::bump_version;
use poem_openapi::types::MaybeUndefined;

type Result<T> = std::result::Result<T, DbErr>;

pub(super) fn authorize(
    actor: &Actor,
    action: Action,
    target: Target,
    data: Option<Change>,
) -> Decision<()> {
    match permissions::decide(actor, action, target) {
        Verdict::Allowed => Ok(()),
        Verdict::Forbidden => Err(Box::new(Outcome::rejected(
            MutationCode::Forbidden,
            "you are not allowed to do this",
            data,
        ))),
        Verdict::Invisible => Err(Box::new(Outcome::rejected(
            MutationCode::NotFound,
            "no such object",
            None,
        ))),
    }
}

pub(super) fn group_target(g: &volunteer_group::Model) -> Target {
    Target::Group {
        id: g.id,
        community_id: g.community_id,
        is_open: g.is_open,
    }
}

/// The group with `id` in the actor's community, alive.
pub(super) async fn live_group(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Decision<volunteer_group::Model>> {
    Ok(
        match volunteer_group::Entity::find_by_id(id).one(conn).await? {
            Some(g) if g.community_id != actor.community_id => Err(Box::new(Outcome::rejected(
                MutationCode::NotFound,
                "no such group",
                None,
            ))),
            Some(g) if g.deleted_at.is_some() => Err(Box::new(Outcome::rejected(
                MutationCode::Deleted,
                "the group was deleted",
                Some(changes::group(&g)),
            ))),
            Some(g) => Ok(g),
            None => Err(Box::new(Outcome::rejected(
                MutationCode::NotFound,
                "no such group",
                None,
            ))),
        },
    )
}

pub async fn group_create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &GroupCreateArgs,
) -> Result<Outcome> {
    let validated = (|| -> std::result::Result<_, FieldError> {
        Ok((
            bounds::required_line("name", &a.name, bounds::GROUP_NAME_MAX)?,
            bounds::optional_text(
                "description",
                a.description.as_deref().unwrap_or_default(),
                bounds::LONG_TEXT_MAX,
                true,
            )?,
            bounds::optional_text(
                "venue",
                a.venue.as_deref().unwrap_or_default(),
                bounds::PLACE_MAX,
                false,
            )?,
        ))
    })();
    let (name, description, venue) = match validated {
        Ok(v) => v,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    if let Err(o) = authorize(
        ctx.actor,
        Action::CreateGroup,
        Target::Community {
            id: ctx.actor.community_id,
        },
        None,
    ) {
        return Ok(*o);
    }
    if let Some(leader) = a.contact_leader_id
        && !is_neighbour(conn, ctx.actor, leader).await?
    {
        return Ok(Outcome::invalid(FieldError::new(
            "contact_leader_id",
            "no such resident",
        )));
    }
    match volunteer_group::Entity::find_by_id(a.id).one(conn).await? {
        Some(g) if g.community_id != ctx.actor.community_id => {
            return Ok(Outcome::rejected(
                MutationCode::Conflict,
                "this id is already in use",
                None,
            ));
        }
        Some(g) if g.deleted_at.is_some() => {
            return Ok(Outcome::rejected(
                MutationCode::Deleted,
                "a group with this id was deleted",
                Some(changes::group(&g)),
            ));
        }
        // Created already (by another phone of the committee, say): merge as an edit.
        Some(_) => {
            let update = GroupUpdateArgs {
                id: a.id,
                name: Some(a.name.clone()),
                kind: a.kind,
                contact_leader_id: a
                    .contact_leader_id
                    .map_or(MaybeUndefined::Undefined, MaybeUndefined::Value),
                description: a.description.clone(),
                venue: a.venue.clone(),
                is_open: a.is_open,
            };
            return group_update(conn, ctx, &update).await;
        }
        None => {}
    }
    if series::Entity::find_by_id(a.id).one(conn).await?.is_some() {
        return Ok(Outcome::rejected(
            MutationCode::Conflict,
            "this id is already in use",
            None,
        ));
    }
    let mut clocks = FieldClocks::default();
    for field in [
        "name",
        "kind",
        "contact_leader_id",
        "description",
        "venue",
        "is_open",
    ] {
        clocks.claim(field, ctx.stamp);
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let group = volunteer_group::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        name,
        kind: a.kind.unwrap_or(GroupKind::Other).as_str().to_owned(),
        description,
        venue,
        is_open: a.is_open.unwrap_or(true),
        contact_leader_id: a.contact_leader_id,
        clocks: clocks.to_json(),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    insert(conn, group.clone().into_active_model()).await?;
    Ok(Outcome::applied(
        Some(changes::group(&group)),
        Some(version),
    ))
}

/// Whether `resident` lives in the actor's community.
pub(super) async fn is_neighbour(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    resident: Uuid,
) -> Result<bool> {
    Ok(resident::Entity::find_by_id(resident)
        .one(conn)
        .await?
        .is_some_and(|r| r.community_id == actor.community_id))
}

pub async fn group_update(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &GroupUpdateArgs,
) -> Result<Outcome> {
    let mut group = match live_group(conn, ctx.actor, a.id).await? {
        Ok(g) => g,
        Err(o) => return Ok(*o),
    };
    if let Err(o) = authorize(
        ctx.actor,
        Action::EditGroup,
        group_target(&group),
        Some(changes::group(&group)),
    ) {
        return Ok(*o);
    }
    let validated = (|| -> std::result::Result<_, FieldError> {
        Ok((
            a.name
                .as_deref()
                .map(|v| bounds::required_line("name", v, bounds::GROUP_NAME_MAX))
                .transpose()?,
            a.description
                .as_deref()
                .map(|v| bounds::optional_text("description", v, bounds::LONG_TEXT_MAX, true))
                .transpose()?,
            a.venue
                .as_deref()
                .map(|v| bounds::optional_text("venue", v, bounds::PLACE_MAX, false))
                .transpose()?,
        ))
    })();
    let (name, description, venue) = match validated {
        Ok(v) => v,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    if let MaybeUndefined::Value(leader) = a.contact_leader_id
        && !is_neighbour(conn, ctx.actor, leader).await?
    {
        return Ok(Outcome::invalid(FieldError::new(
            "contact_leader_id",
            "no such resident",
        )));
    }
    let mut clocks = FieldClocks::from_json(&group.clocks);
    let st = ctx.stamp;
    let mut won = false;
    if let Some(v) = name {
        won |= merge_field(&mut clocks, "name", st, &mut group.name, v);
    }
    if let Some(v) = a.kind {
        won |= merge_field(
            &mut clocks,
            "kind",
            st,
            &mut group.kind,
            v.as_str().to_owned(),
        );
    }
    match a.contact_leader_id {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            won |= merge_field(
                &mut clocks,
                "contact_leader_id",
                st,
                &mut group.contact_leader_id,
                None,
            )
        }
        MaybeUndefined::Value(v) => {
            won |= merge_field(
                &mut clocks,
                "contact_leader_id",
                st,
                &mut group.contact_leader_id,
                Some(v),
            );
        }
    }
    if let Some(v) = description {
        won |= merge_field(&mut clocks, "description", st, &mut group.description, v);
    }
    if let Some(v) = venue {
        won |= merge_field(&mut clocks, "venue", st, &mut group.venue, v);
    }
    if let Some(v) = a.is_open {
        won |= merge_field(&mut clocks, "is_open", st, &mut group.is_open, v);
    }
    if !won {
        // Lost every field to later edits: accepted, nothing to write.
        return Ok(Outcome::applied(Some(changes::group(&group)), None));
    }
    let version = bump_version(conn, group.community_id).await?;
    group.clocks = clocks.to_json();
    group.version = version;
    update(conn, group.clone().into_active_model()).await?;
    Ok(Outcome::applied(
        Some(changes::group(&group)),
        Some(version),
    ))
}

pub async fn group_delete(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ObjectRef,
) -> Result<Outcome> {
    let mut group = match volunteer_group::Entity::find_by_id(a.id).one(conn).await? {
        Some(g) if g.community_id == ctx.actor.community_id => g,
        _ => {
            return Ok(Outcome::rejected(
                MutationCode::NotFound,
                "no such group",
                None,
            ));
        }
    };
    if let Err(o) = authorize(
        ctx.actor,
        Action::DeleteGroup,
        group_target(&group),
        Some(changes::group(&group)),
    ) {
        return Ok(*o);
    }
    if group.deleted_at.is_some() {
        return Ok(Outcome::applied(Some(changes::group(&group)), None));
    }
    let version = bump_version(conn, group.community_id).await?;
    group.deleted_at = Some(ctx.now);
    group.version = version;
    update(conn, group.clone().into_active_model()).await?;
    // The group's schedule and memberships go with it, in the same version.
    for m in membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group.id))
        .filter(membership::Column::DeletedAt.is_null())
        .all(conn)
        .await?
    {
        let mut m = m;
        m.deleted_at = Some(ctx.now);
        m.version = version;
        update(conn, m.into_active_model()).await?;
    }
    for s in series::Entity::find()
        .filter(series::Column::GroupId.eq(group.id))
        .filter(series::Column::DeletedAt.is_null())
        .all(conn)
        .await?
    {
        let mut s = s;
        s.deleted_at = Some(ctx.now);
        s.version = version;
        update(conn, s.clone().into_active_model()).await?;
        seats::cancel_vanished(conn, version, &s, ctx.now).await?;
    }
    Ok(
        Outcome::applied(Some(changes::group(&group)), Some(version)).audited(
            "group.delete",
            Some(group.id),
            format!("deleted the group {} with its schedule", group.name),
        ),
    )
}

/// A membership change the audit log records.
enum AuditedChange {
    Role(MemberRole),
    Removed,
}

/// What a membership mutation wants.
enum MembershipIntent {
    Join,
    Leave,
    SetRole(MemberRole),
}

pub async fn group_join(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MembershipArgs,
) -> Result<Outcome> {
    change_membership(conn, ctx, a.group_id, a.resident_id, MembershipIntent::Join).await
}

pub async fn group_leave(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MembershipArgs,
) -> Result<Outcome> {
    change_membership(
        conn,
        ctx,
        a.group_id,
        a.resident_id,
        MembershipIntent::Leave,
    )
    .await
}

pub async fn member_set_role(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MemberSetRoleArgs,
) -> Result<Outcome> {
    change_membership(
        conn,
        ctx,
        a.group_id,
        Some(a.resident_id),
        MembershipIntent::SetRole(a.role),
    )
    .await
}

async fn change_membership(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    group_id: Uuid,
    who: Option<Uuid>,
    intent: MembershipIntent,
) -> Result<Outcome> {
    let group = match live_group(conn, ctx.actor, group_id).await? {
        Ok(g) => g,
        Err(o) => return Ok(*o),
    };
    let who = who.unwrap_or(ctx.actor.resident_id);
    let myself = who == ctx.actor.resident_id;
    let action = match intent {
        MembershipIntent::Join if myself => Action::JoinGroup,
        MembershipIntent::Leave if myself => Action::LeaveGroup,
        _ => Action::ManageMembers,
    };
    if let Err(o) = authorize(ctx.actor, action, group_target(&group), None) {
        return Ok(*o);
    }
    let Some(person) = resident::Entity::find_by_id(who).one(conn).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such resident",
            None,
        ));
    };
    if person.community_id != group.community_id {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such resident",
            None,
        ));
    }
    let id = super::membership_id(group.id, who);
    let existing = membership::Entity::find_by_id(id).one(conn).await?;
    let is_new = existing.is_none();
    let mut m = existing.unwrap_or_else(|| membership::Model {
        id,
        community_id: group.community_id,
        group_id: group.id,
        resident_id: who,
        role: MemberRole::Member.as_str().to_owned(),
        clocks: "{}".into(),
        version: 0,
        created_at: ctx.now,
        // A row that has never been joined is absent until a join wins.
        deleted_at: Some(ctx.now),
    });
    let mut clocks = FieldClocks::from_json(&m.clocks);
    let mut present = m.deleted_at.is_none();
    let audited = match intent {
        MembershipIntent::SetRole(role) => Some(AuditedChange::Role(role)),
        MembershipIntent::Leave if who != ctx.actor.resident_id => Some(AuditedChange::Removed),
        _ => None,
    };
    let changed = match intent {
        MembershipIntent::Join => {
            merge_field(&mut clocks, "present", ctx.stamp, &mut present, true)
        }
        // Leaving (or being removed) also ends a leader's role: rejoining makes a member.
        // The role is a last-writer-wins field like presence, so a role given after the
        // leave (by its stamp) still stands, in any order of arrival.
        MembershipIntent::Leave => {
            merge_field(&mut clocks, "present", ctx.stamp, &mut present, false)
                | merge_field(
                    &mut clocks,
                    "role",
                    ctx.stamp,
                    &mut m.role,
                    MemberRole::Member.as_str().to_owned(),
                )
        }
        MembershipIntent::SetRole(role) => {
            merge_field(&mut clocks, "present", ctx.stamp, &mut present, true)
                | merge_field(
                    &mut clocks,
                    "role",
                    ctx.stamp,
                    &mut m.role,
                    role.as_str().to_owned(),
                )
        }
    };
    // A leave that arrives before any join still wins "present" and is stored (as a
    // tombstone), so an older join that arrives later loses to it.
    if !changed {
        return Ok(Outcome::applied(
            Some(changes::membership(&m, &person.display_name)),
            None,
        ));
    }
    let version = bump_version(conn, group.community_id).await?;
    m.deleted_at = if present {
        None
    } else {
        m.deleted_at.or(Some(ctx.now))
    };
    m.clocks = clocks.to_json();
    m.version = version;
    if is_new {
        insert(conn, m.clone().into_active_model()).await?;
    } else {
        update(conn, m.clone().into_active_model()).await?;
    }
    let outcome = Outcome::applied(
        Some(changes::membership(&m, &person.display_name)),
        Some(version),
    );
    // Roles given or taken, and members removed by someone else, are privileged.
    Ok(match audited {
        Some(AuditedChange::Role(role)) => outcome.audited(
            "member.set_role",
            Some(who),
            format!(
                "{} is now {} of {}",
                person.display_name,
                role.as_str(),
                group.name
            ),
        ),
        Some(AuditedChange::Removed) => outcome.audited(
            "member.remove",
            Some(who),
            format!("removed {} from {}", person.display_name, group.name),
        ),
        None => outcome,
    })
}

/// A series' fields after validation (`None`: not given).
struct SeriesFields {
    title: Option<String>,
    description: Option<String>,
    location: Option<String>,
    duration: Option<i32>,
    capacity: Option<Option<i32>>,
    notes: Option<String>,
    opens: Option<Option<i32>>,
    closes: Option<i32>,
    cutoff: Option<i32>,
    waitlist: Option<i32>,
}

fn bounded(field: &'static str, v: u32, max: u32) -> std::result::Result<i32, FieldError> {
    if v > max {
        return Err(FieldError::new(field, format!("must be at most {max}")));
    }
    Ok(i32::try_from(v).unwrap_or(i32::MAX))
}

fn series_fields(a: &SeriesUpdateArgs) -> std::result::Result<SeriesFields, FieldError> {
    const WEEK_MINUTES: u32 = 7 * 24 * 60;
    Ok(SeriesFields {
        title: a
            .title
            .as_deref()
            .map(|v| bounds::required_line("title", v, bounds::SERIES_TITLE_MAX))
            .transpose()?,
        description: a
            .description
            .as_deref()
            .map(|v| bounds::optional_text("description", v, bounds::LONG_TEXT_MAX, true))
            .transpose()?,
        location: a
            .location
            .as_deref()
            .map(|v| bounds::optional_text("location", v, bounds::PLACE_MAX, false))
            .transpose()?,
        duration: a
            .duration_minutes
            .map(bounds::duration_minutes)
            .transpose()?,
        capacity: match &a.capacity {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(c) => Some(bounds::capacity(Some(*c))?),
        },
        notes: a
            .notes
            .as_deref()
            .map(|v| bounds::optional_text("notes", v, bounds::LONG_TEXT_MAX, true))
            .transpose()?,
        opens: match &a.signup_opens_days_before {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(d) => Some(Some(bounded("signup_opens_days_before", *d, 365)?)),
        },
        closes: a
            .signup_closes_minutes_before
            .map(|v| bounded("signup_closes_minutes_before", v, WEEK_MINUTES))
            .transpose()?,
        cutoff: a
            .cancel_cutoff_minutes_before
            .map(|v| bounded("cancel_cutoff_minutes_before", v, WEEK_MINUTES))
            .transpose()?,
        waitlist: a
            .waitlist_limit
            .map(|v| bounded("waitlist_limit", v, 1000))
            .transpose()?,
    })
}

/// A create, as the edit that sets every field (used when the series exists already).
fn as_update(a: &SeriesCreateArgs) -> SeriesUpdateArgs {
    let maybe = |v: Option<u32>| v.map_or(MaybeUndefined::Null, MaybeUndefined::Value);
    SeriesUpdateArgs {
        id: a.id,
        title: Some(a.title.clone()),
        description: Some(a.description.clone().unwrap_or_default()),
        location: Some(a.location.clone().unwrap_or_default()),
        start_local: Some(a.start_local.clone()),
        timezone: Some(
            a.timezone
                .clone()
                .unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned()),
        ),
        rrule: a
            .rrule
            .clone()
            .map_or(MaybeUndefined::Null, MaybeUndefined::Value),
        duration_minutes: Some(a.duration_minutes),
        capacity: maybe(a.capacity),
        notes: Some(a.notes.clone().unwrap_or_default()),
        signup_opens_days_before: maybe(a.signup_opens_days_before),
        signup_closes_minutes_before: Some(a.signup_closes_minutes_before.unwrap_or(0)),
        cancel_cutoff_minutes_before: Some(a.cancel_cutoff_minutes_before.unwrap_or(0)),
        waitlist_limit: Some(
            a.waitlist_limit
                .unwrap_or(DEFAULT_WAITLIST_LIMIT.unsigned_abs()),
        ),
    }
}

/// The series' fields, as stamped in its clocks.
const SERIES_FIELDS: [&str; 13] = [
    "title",
    "description",
    "location",
    "start_local",
    "timezone",
    "rrule",
    "duration_minutes",
    "capacity",
    "notes",
    "signup_opens_days_before",
    "signup_closes_minutes_before",
    "cancel_cutoff_minutes_before",
    "waitlist_limit",
];

pub async fn series_create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &SeriesCreateArgs,
) -> Result<Outcome> {
    let group = match live_group(conn, ctx.actor, a.group_id).await? {
        Ok(g) => g,
        Err(o) => return Ok(*o),
    };
    if let Err(o) = authorize(ctx.actor, Action::ManageSeries, group_target(&group), None) {
        return Ok(*o);
    }
    let all = as_update(a);
    let fields = match series_fields(&all) {
        Ok(f) => f,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let timezone = all.timezone.clone().unwrap_or_default();
    let duration = fields.duration.unwrap_or(60);
    let schedule = match Schedule::parse(&a.start_local, &timezone, a.rrule.as_deref(), duration) {
        Ok(s) => s,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    match series::Entity::find_by_id(a.id).one(conn).await? {
        Some(s) if s.community_id != group.community_id || s.group_id != group.id => {
            return Ok(Outcome::rejected(
                MutationCode::Conflict,
                "this id is already in use",
                None,
            ));
        }
        Some(s) if s.deleted_at.is_some() => {
            return Ok(Outcome::rejected(
                MutationCode::Deleted,
                "a series with this id was deleted",
                Some(changes::series(&s)),
            ));
        }
        Some(_) => return series_update(conn, ctx, &all).await,
        None => {}
    }
    if volunteer_group::Entity::find_by_id(a.id)
        .one(conn)
        .await?
        .is_some()
    {
        return Ok(Outcome::rejected(
            MutationCode::Conflict,
            "this id is already in use",
            None,
        ));
    }
    let live = series::Entity::find()
        .filter(series::Column::GroupId.eq(group.id))
        .filter(series::Column::DeletedAt.is_null())
        .count(conn)
        .await?;
    if live >= bounds::SERIES_PER_GROUP_MAX {
        return Ok(Outcome::invalid(FieldError::new(
            "group_id",
            format!(
                "a group has at most {} series; delete one it no longer runs",
                bounds::SERIES_PER_GROUP_MAX
            ),
        )));
    }
    let mut clocks = FieldClocks::default();
    for field in SERIES_FIELDS {
        clocks.claim(field, ctx.stamp);
    }
    let version = bump_version(conn, group.community_id).await?;
    let s = series::Model {
        id: a.id,
        community_id: group.community_id,
        group_id: group.id,
        title: fields.title.unwrap_or_default(),
        description: fields.description.unwrap_or_default(),
        location: fields.location.unwrap_or_default(),
        start_local: format_start_local(schedule.start_local),
        timezone,
        rrule: schedule.rrule,
        duration_minutes: duration,
        capacity: fields.capacity.flatten(),
        notes: fields.notes.unwrap_or_default(),
        signup_opens_days_before: fields.opens.flatten(),
        signup_closes_minutes_before: fields.closes.unwrap_or(0),
        cancel_cutoff_minutes_before: fields.cutoff.unwrap_or(0),
        waitlist_limit: fields.waitlist.unwrap_or(DEFAULT_WAITLIST_LIMIT),
        clocks: clocks.to_json(),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    insert(conn, s.clone().into_active_model()).await?;
    Ok(Outcome::applied(Some(changes::series(&s)), Some(version)))
}

/// The series with `id` in the actor's community and its group, if the actor may manage it.
pub(super) async fn managed_series(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Decision<(series::Model, volunteer_group::Model)>> {
    let s = match series::Entity::find_by_id(id).one(conn).await? {
        Some(s) if s.community_id == actor.community_id => s,
        _ => {
            return Ok(Err(Box::new(Outcome::rejected(
                MutationCode::NotFound,
                "no such series",
                None,
            ))));
        }
    };
    let Some(group) = volunteer_group::Entity::find_by_id(s.group_id)
        .one(conn)
        .await?
    else {
        return Ok(Err(Box::new(Outcome::rejected(
            MutationCode::NotFound,
            "no such series",
            None,
        ))));
    };
    if let Err(o) = authorize(
        actor,
        Action::ManageSeries,
        group_target(&group),
        Some(changes::series(&s)),
    ) {
        return Ok(Err(o));
    }
    Ok(Ok((s, group)))
}

pub async fn series_update(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &SeriesUpdateArgs,
) -> Result<Outcome> {
    let (mut s, _) = match managed_series(conn, ctx.actor, a.id).await? {
        Ok(found) => found,
        Err(o) => return Ok(*o),
    };
    if s.deleted_at.is_some() {
        return Ok(Outcome::rejected(
            MutationCode::Deleted,
            "the series was deleted",
            Some(changes::series(&s)),
        ));
    }
    let fields = match series_fields(a) {
        Ok(f) => f,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let before = s.clone();
    let mut clocks = FieldClocks::from_json(&s.clocks);
    let st = ctx.stamp;
    let mut won = false;
    macro_rules! merge {
        ($field:literal, $slot:expr, $value:expr) => {
            if let Some(v) = $value {
                won |= merge_field(&mut clocks, $field, st, &mut $slot, v);
            }
        };
    }
    merge!("title", s.title, fields.title);
    merge!("description", s.description, fields.description);
    merge!("location", s.location, fields.location);
    merge!("duration_minutes", s.duration_minutes, fields.duration);
    merge!("capacity", s.capacity, fields.capacity);
    merge!("notes", s.notes, fields.notes);
    merge!(
        "signup_opens_days_before",
        s.signup_opens_days_before,
        fields.opens
    );
    merge!(
        "signup_closes_minutes_before",
        s.signup_closes_minutes_before,
        fields.closes
    );
    merge!(
        "cancel_cutoff_minutes_before",
        s.cancel_cutoff_minutes_before,
        fields.cutoff
    );
    merge!("waitlist_limit", s.waitlist_limit, fields.waitlist);
    merge!("start_local", s.start_local, a.start_local.clone());
    merge!("timezone", s.timezone, a.timezone.clone());
    match &a.rrule {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => won |= merge_field(&mut clocks, "rrule", st, &mut s.rrule, None),
        MaybeUndefined::Value(r) => {
            won |= merge_field(&mut clocks, "rrule", st, &mut s.rrule, Some(r.clone()))
        }
    }
    if !won {
        return Ok(Outcome::applied(Some(changes::series(&s)), None));
    }
    // The merged timing must still make sense, and stay bounded, as a whole.
    let schedule = match Schedule::parse(
        &s.start_local,
        &s.timezone,
        s.rrule.as_deref(),
        s.duration_minutes,
    ) {
        Ok(schedule) => schedule,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    s.start_local = format_start_local(schedule.start_local);
    s.rrule = schedule.rrule;
    let version = bump_version(conn, s.community_id).await?;
    s.clocks = clocks.to_json();
    s.version = version;
    update(conn, s.clone().into_active_model()).await?;
    let timing_changed = (&before.start_local, &before.timezone, &before.rrule)
        != (&s.start_local, &s.timezone, &s.rrule);
    if timing_changed {
        seats::cancel_vanished(conn, version, &s, ctx.now).await?;
    }
    if before.capacity != s.capacity || before.waitlist_limit != s.waitlist_limit {
        seats::rebalance_series(conn, version, &s).await?;
    }
    Ok(Outcome::applied(Some(changes::series(&s)), Some(version)))
}

pub async fn series_delete(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ObjectRef,
) -> Result<Outcome> {
    let (mut s, _) = match managed_series(conn, ctx.actor, a.id).await? {
        Ok(found) => found,
        Err(o) => return Ok(*o),
    };
    if s.deleted_at.is_some() {
        return Ok(Outcome::applied(Some(changes::series(&s)), None));
    }
    let version = bump_version(conn, s.community_id).await?;
    s.deleted_at = Some(ctx.now);
    s.version = version;
    update(conn, s.clone().into_active_model()).await?;
    seats::cancel_vanished(conn, version, &s, ctx.now).await?;
    Ok(
        Outcome::applied(Some(changes::series(&s)), Some(version)).audited(
            "series.delete",
            Some(s.id),
            format!("deleted the series {}", s.title),
        ),
    )
}

pub(super) async fn insert<A>(conn: &impl ConnectionTrait, active: A) -> Result<()>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    active.reset_all().insert(conn).await?;
    Ok(())
}

pub(super) async fn update<A>(conn: &impl ConnectionTrait, active: A) -> Result<()>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    active.reset_all().update(conn).await?;
    Ok(())
}
