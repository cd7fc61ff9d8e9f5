//! Posting, withdrawing and reading announcements; an announcement and a receipt as
//! changes.

use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, Set};
use uuid::Uuid;

use super::entity::{announcement, announcement_read};
use super::rules::{self, Importance};
use super::wire::*;
use super::{sees, target_of};
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Role};
use crate::features::attachments::{self, OwnerKind};
use crate::features::deliberation::rules::{Level, Reach, bench};
use crate::features::deliberation::{level_of, name_of, not_found};
use crate::features::schedule::entity::volunteer_group;
use crate::features::territory::{authorize, created_already};
use crate::features::{Change, Ctx, Outcome};
use crate::sync::wire::ChangeOp;
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// `announcement.post`: a new announcement (the same one sent again is applied once).
pub async fn post(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &AnnouncementPostArgs,
) -> Result<Outcome> {
    if let Some(existing) = announcement::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            change(&existing),
        ));
    }
    let (title, body, pinned_until) = match (
        rules::title(&a.title),
        rules::body(&a.body),
        rules::pinned_until(a.pinned_until, ctx.now),
    ) {
        (Ok(t), Ok(b), Ok(p)) => (t, b, p),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Ok(Outcome::invalid(e)),
    };
    let community = ctx.actor.community_id;
    // Where it goes: a group, a unit, or the whole community; and who it reaches there.
    let (level, group, reach, target) = match (a.group_id, a.unit_id) {
        (Some(_), Some(_)) => {
            return Ok(Outcome::invalid(FieldError::new(
                "group_id",
                "an announcement goes to a unit or to a group, not both",
            )));
        }
        (Some(g), None) => {
            let Some(group) = volunteer_group::Entity::find_by_id(g)
                .one(conn)
                .await?
                .filter(|x| x.community_id == community && x.deleted_at.is_none())
            else {
                return Ok(not_found("no such group"));
            };
            let reach = Reach {
                room_id: rules::group_room(g),
                bench_id: rules::group_bench(g),
                area_bench_id: None,
                compound_bench_id: None,
                desk_id: bench(community),
            };
            (Level::default(), Some(g), reach, group_target(&group))
        }
        (None, unit) => {
            let Some((level, target)) = level_of(conn, ctx.actor, unit).await? else {
                return Ok(not_found("no such building, area or compound"));
            };
            (level, None, Reach::of(community, level), target)
        }
    };
    if let Err(refusal) = authorize(ctx.actor, Action::Announce, target) {
        return Ok(*refusal);
    }
    let photos =
        match attachments::declare(conn, ctx, OwnerKind::Announcement, a.id, &a.photos).await? {
            Ok(p) => p,
            Err(refusal) => return Ok(refusal),
        };
    let version = bump_version(conn, community).await?;
    let row = announcement::Model {
        id: a.id,
        community_id: community,
        unit_id: level.unit,
        area_id: level.area,
        compound_id: level.compound,
        group_id: group,
        room_id: reach.room_id,
        bench_id: reach.bench_id,
        area_bench_id: reach.area_bench_id,
        compound_bench_id: reach.compound_bench_id,
        desk_id: reach.desk_id,
        author_id: ctx.actor.resident_id,
        author_name: name_of(conn, ctx.actor).await?,
        author_position: position_of(ctx),
        title,
        body,
        importance: a.importance.as_str().to_owned(),
        pinned_until,
        photos: attachments::to_column(&photos),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    announcement::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    if a.importance == Importance::Urgent {
        tell_urgent(conn, &row, ctx).await?;
    }
    Ok(Outcome::applied(Some(change(&row)), Some(version)))
}

/// An urgent notice goes to every resident with an account it reaches (its unit's, its
/// group's, or the community's), as a notification on every channel they chose, quiet
/// hours or not.
async fn tell_urgent(
    conn: &impl ConnectionTrait,
    a: &announcement::Model,
    ctx: &Ctx<'_>,
) -> Result<()> {
    use crate::entity::resident;
    use crate::features::notifications::{self, rules::Kind};
    use crate::features::schedule::entity::membership;
    use crate::features::territory::entity::residency;
    use sea_orm::sea_query::Condition;
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let who: Vec<Uuid> = match (a.group_id, a.unit_id) {
        (Some(g), _) => {
            membership::Entity::find()
                .select_only()
                .column(membership::Column::ResidentId)
                .filter(membership::Column::GroupId.eq(g))
                .filter(membership::Column::DeletedAt.is_null())
                .into_tuple()
                .all(conn)
                .await?
        }
        (None, Some(u)) => residency::Entity::find()
            .select_only()
            .column(residency::Column::ResidentId)
            .filter(residency::Column::CommunityId.eq(a.community_id))
            .filter(residency::Column::DeletedAt.is_null())
            .filter(residency::Column::Status.eq("verified"))
            .filter(residency::Column::MovedOut.is_null())
            .filter(residency::Column::ResidentId.is_not_null())
            .filter(
                Condition::any()
                    .add(residency::Column::BuildingId.eq(u))
                    .add(residency::Column::AreaId.eq(u))
                    .add(residency::Column::CompoundId.eq(u)),
            )
            .into_tuple::<Option<Uuid>>()
            .all(conn)
            .await?
            .into_iter()
            .flatten()
            .collect(),
        (None, None) => {
            resident::Entity::find()
                .select_only()
                .column(resident::Column::Id)
                .filter(resident::Column::CommunityId.eq(a.community_id))
                .filter(resident::Column::DeletedAt.is_null())
                .into_tuple()
                .all(conn)
                .await?
        }
    };
    let who: Vec<Uuid> = who.into_iter().filter(|r| *r != a.author_id).collect();
    notifications::notify(
        conn,
        a.community_id,
        a.version,
        ctx.now,
        &notifications::Notice {
            kind: Kind::UrgentAnnouncement,
            subject: "announcement",
            subject_id: a.id,
            what: "urgent".into(),
            title: format!("緊急通知：{}", a.title),
            body: a.body.clone(),
            urgent: true,
            cant_come: None,
        },
        &who,
    )
    .await?;
    Ok(())
}

/// `announcement.withdraw`: its author, or whoever may post where it was posted.
pub async fn withdraw(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &AnnouncementRef,
) -> Result<Outcome> {
    let Some(row) = visible(conn, ctx, a.announcement_id).await? else {
        return Ok(not_found("no such announcement"));
    };
    if row.author_id != ctx.actor.resident_id {
        let Some(target) = target_of(conn, ctx.actor, &row).await? else {
            return Ok(not_found("no such announcement"));
        };
        if let Err(refusal) = authorize(ctx.actor, Action::Announce, target) {
            return Ok(*refusal);
        }
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let mut m = row.into_active_model();
    m.deleted_at = Set(Some(ctx.now));
    m.version = Set(version);
    let gone = m.update(conn).await?;
    Ok(Outcome::applied(Some(change(&gone)), Some(version)))
}

/// `announcement.read`: the caller's receipt, made once.
pub async fn read(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &AnnouncementRef,
) -> Result<Outcome> {
    let Some(row) = visible(conn, ctx, a.announcement_id).await? else {
        return Ok(not_found("no such announcement"));
    };
    let id = rules::receipt_id(row.id, ctx.actor.resident_id);
    if let Some(had) = announcement_read::Entity::find_by_id(id).one(conn).await? {
        return Ok(Outcome::applied(Some(receipt_change(&had)), None));
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let receipt = announcement_read::Model {
        id,
        community_id: ctx.actor.community_id,
        announcement_id: row.id,
        resident_id: ctx.actor.resident_id,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    announcement_read::Entity::insert(receipt.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(Outcome::applied(
        Some(receipt_change(&receipt)),
        Some(version),
    ))
}

/// The live announcement `id`, if the actor sees it.
async fn visible(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<Option<announcement::Model>> {
    Ok(announcement::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|r| r.deleted_at.is_none() && sees(ctx.actor, r)))
}

/// A group as the permission rule sees it.
pub(crate) fn group_target(g: &volunteer_group::Model) -> crate::domain::permissions::Target {
    crate::domain::permissions::Target::Group {
        id: g.id,
        community_id: g.community_id,
        is_open: g.is_open,
    }
}

/// The position the author posts as: the first elected one they hold, else any.
fn position_of(ctx: &Ctx<'_>) -> Option<String> {
    let mut held: Vec<_> = ctx
        .actor
        .grants
        .iter()
        .filter_map(|g| match g.role {
            Role::Holds(p) => Some(p),
            _ => None,
        })
        .collect();
    held.sort_by_key(|p| !p.elected());
    held.first().map(|p| p.as_str().to_owned())
}

/// An announcement's photos changed (one settled): re-read them onto its row, at `version`.
pub async fn photos_changed(conn: &impl ConnectionTrait, id: Uuid, version: i64) -> Result<()> {
    let photos = attachments::photos_of(conn, OwnerKind::Announcement, id).await?;
    if let Some(a) = announcement::Entity::find_by_id(id).one(conn).await? {
        let mut m = a.into_active_model();
        m.photos = Set(attachments::to_column(&photos));
        m.version = Set(version);
        m.update(conn).await?;
    }
    Ok(())
}

pub fn change(a: &announcement::Model) -> Change {
    let data = Importance::parse(&a.importance)
        .filter(|_| a.deleted_at.is_none())
        .map(|importance| AnnouncementData {
            id: a.id,
            unit_id: a.unit_id,
            group_id: a.group_id,
            author_id: a.author_id,
            author_name: a.author_name.clone(),
            author_position: a.author_position.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
            importance,
            pinned_until: a.pinned_until,
            photos: attachments::from_column(&a.photos),
            posted_at: a.created_at,
        });
    Change::Announcement(AnnouncementChange {
        id: a.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

pub fn receipt_change(r: &announcement_read::Model) -> Change {
    let data = r.deleted_at.is_none().then_some(AnnouncementReadData {
        id: r.id,
        announcement_id: r.announcement_id,
        resident_id: r.resident_id,
        read_at: r.created_at,
    });
    Change::AnnouncementRead(AnnouncementReadChange {
        id: r.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}
