//! Writing a log entry, and an entry as a change.

use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, Set};

use super::entity;
use super::rules::{self, Hat, Status};
use super::wire::*;
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Target};
use crate::domain::territory::Place;
use crate::features::attachments::{self, OwnerKind};
use crate::features::deliberation::name_of;
use crate::features::territory::{authorize, live_cell, local_today, place_of_building};
use crate::features::{Change, Ctx, MutationCode, Outcome};
use crate::sync::wire::ChangeOp;
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// `log.write`: a new entry, or the same entry written again by its worker.
pub async fn write(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &LogWriteArgs,
) -> Result<Outcome> {
    let existing = entity::Entity::find_by_id(a.id).one(conn).await?;
    if let Some(e) = &existing
        && (e.community_id != ctx.actor.community_id || e.worker_id != ctx.actor.resident_id)
    {
        // Someone else's id: say nothing of it.
        return Ok(Outcome::rejected(
            MutationCode::Conflict,
            "this id is taken: make a new one",
            None,
        ));
    }
    if !live_cell(conn, ctx.actor, a.cell_id).await? {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such grid cell",
            None,
        ));
    }
    let target = Target::Place {
        community_id: ctx.actor.community_id,
        place: Place {
            cell: Some(a.cell_id),
            ..Place::default()
        },
    };
    if let Err(refusal) = authorize(ctx.actor, Action::KeepGridLog, target) {
        return Ok(*refusal);
    }
    if !rules::day_allowed(a.day, local_today(ctx.now)) {
        return Ok(Outcome::invalid(FieldError::new(
            "day",
            format!(
                "an entry is for today or up to {} days back (Beijing time)",
                rules::BACKDATE_DAYS
            ),
        )));
    }
    if let Some(b) = a.building_id {
        let in_cell = place_of_building(conn, ctx.actor, b)
            .await?
            .is_some_and(|(_, p)| p.cell == Some(a.cell_id));
        if !in_cell {
            return Ok(Outcome::invalid(FieldError::new(
                "building_id",
                "not a building of this grid cell",
            )));
        }
    }
    if let Some(e) = &existing
        && e.case_id.is_some()
    {
        return Ok(Outcome::rejected(
            MutationCode::CaseOpened,
            "a case was opened from this entry: follow it there",
            Some(change(e)),
        ));
    }
    let photos = match attachments::declare(conn, ctx, OwnerKind::LogEntry, a.id, &a.photos).await?
    {
        Ok(p) => p,
        Err(refusal) => return Ok(refusal),
    };
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let text = |s: &Option<String>| s.as_deref().unwrap_or("").trim().to_owned();
    let row = entity::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        cell_id: a.cell_id,
        cell_key: rules::cell_key(a.cell_id),
        office_key: rules::office_key(ctx.actor.community_id),
        worker_id: ctx.actor.resident_id,
        worker_name: match &existing {
            Some(e) => e.worker_name.clone(),
            None => name_of(conn, ctx.actor).await?,
        },
        day: a.day,
        building_id: a.building_id,
        staircase: text(&a.staircase),
        place: text(&a.place),
        hat: a.hat.as_str().to_owned(),
        found: a.found.trim().to_owned(),
        done: text(&a.done),
        home_visit: a.home_visit,
        status: a.status.as_str().to_owned(),
        case_id: None,
        photos: attachments::to_column(&photos),
        version,
        created_at: existing.as_ref().map_or(ctx.now, |e| e.created_at),
        deleted_at: None,
    };
    let saved = if existing.is_some() {
        row.into_active_model().reset_all().update(conn).await?
    } else {
        entity::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(conn)
            .await?;
        row
    };
    Ok(Outcome::applied(Some(change(&saved)), Some(version)))
}

/// An entry's photos changed (one settled): re-read them onto its row, at `version`.
pub async fn photos_changed(
    conn: &impl ConnectionTrait,
    id: uuid::Uuid,
    version: i64,
) -> Result<()> {
    let photos = attachments::photos_of(conn, OwnerKind::LogEntry, id).await?;
    if let Some(e) = entity::Entity::find_by_id(id).one(conn).await? {
        let mut m = e.into_active_model();
        m.photos = Set(attachments::to_column(&photos));
        m.version = Set(version);
        m.update(conn).await?;
    }
    Ok(())
}

pub fn change(e: &entity::Model) -> Change {
    let data = (|| {
        Some(LogEntryData {
            id: e.id,
            cell_id: e.cell_id,
            worker_id: e.worker_id,
            worker_name: e.worker_name.clone(),
            day: e.day,
            building_id: e.building_id,
            staircase: e.staircase.clone(),
            place: e.place.clone(),
            hat: Hat::parse(&e.hat)?,
            found: e.found.clone(),
            done: e.done.clone(),
            home_visit: e.home_visit,
            status: Status::parse(&e.status)?,
            case_id: e.case_id,
            photos: attachments::from_column(&e.photos),
            created_at: e.created_at,
        })
    })()
    .filter(|_| e.deleted_at.is_none());
    Change::LogEntry(LogEntryChange {
        id: e.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}
