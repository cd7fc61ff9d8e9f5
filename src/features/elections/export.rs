//! What elections hold about one resident (their part of `GET /api/v1/me/export`), and what
//! they let go of when the resident deletes their account.
//!
//! The export lists their roll entries (whether, when and how they voted) and their
//! candidacies. It cannot list their ballots: nothing links a ballot to its voter, so the
//! server does not know which ballots are theirs (their receipt codes find them in the
//! published records).
//!
//! Retention at deletion: the rolls and the candidates of past elections are records the
//! committee must keep (who could vote, who stood, the count), so their rows stay with the
//! names they were published with; what goes is the link to the account (their roll
//! entries and the entrustments they hold no longer name it, so nothing more is synced to
//! it), their seconds, and any nomination still open, which is declined.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::entity::{candidate, election, elector, entrustment, seconding};
use super::rules::State;
use crate::sync::write::bump_version;

/// What elections hold about the resident.
#[derive(Debug, Object)]
pub struct ElectionsData {
    /// Their entries on elections' rolls: whether, when and how they voted (never what).
    pub roll_entries: Vec<HeldRollEntry>,
    /// Their nominations.
    pub candidacies: Vec<HeldCandidacy>,
}

#[derive(Debug, Object)]
pub struct HeldRollEntry {
    pub election_id: Uuid,
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub voted: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub voted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
pub struct HeldCandidacy {
    pub election_id: Uuid,
    pub name: String,
    pub statement: String,
    pub response: String,
    pub standing: bool,
}

pub async fn held_by(conn: &impl ConnectionTrait, resident: Uuid) -> Result<ElectionsData, DbErr> {
    let roll_entries = elector::Entity::find()
        .filter(elector::Column::ResidentId.eq(resident))
        .filter(elector::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|x| HeldRollEntry {
            election_id: x.election_id,
            name: x.name,
            voted: x.voted,
            voted_at: x.voted_at,
        })
        .collect();
    let candidacies = candidate::Entity::find()
        .filter(candidate::Column::ResidentId.eq(resident))
        .filter(candidate::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|c| HeldCandidacy {
            election_id: c.election_id,
            name: c.name,
            statement: c.statement,
            response: c.response,
            standing: c.standing,
        })
        .collect();
    Ok(ElectionsData {
        roll_entries,
        candidacies,
    })
}

pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
) -> Result<Option<i64>, DbErr> {
    seconding::Entity::delete_many()
        .filter(seconding::Column::ResidentId.eq(resident))
        .exec(conn)
        .await?;
    let entries = elector::Entity::find()
        .filter(elector::Column::ResidentId.eq(resident))
        .all(conn)
        .await?;
    let held = entrustment::Entity::find()
        .filter(entrustment::Column::ProxyResidentId.eq(resident))
        .all(conn)
        .await?;
    let mut open = Vec::new();
    for c in candidate::Entity::find()
        .filter(candidate::Column::ResidentId.eq(resident))
        .filter(candidate::Column::DeletedAt.is_null())
        .all(conn)
        .await?
    {
        let nominating = election::Entity::find_by_id(c.election_id)
            .one(conn)
            .await?
            .is_some_and(|e| State::parse(&e.state) == Some(State::Nominating));
        if nominating && c.response != "declined" {
            open.push(c);
        }
    }
    if entries.is_empty() && held.is_empty() && open.is_empty() {
        return Ok(None);
    }
    let version = bump_version(conn, community).await?;
    for mut x in entries {
        x.resident_id = None;
        x.version = version;
        elector::Entity::update(x.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    for mut t in held {
        t.proxy_resident_id = None;
        t.version = version;
        entrustment::Entity::update(t.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    for mut c in open {
        c.response = "declined".into();
        c.version = version;
        candidate::Entity::update(c.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    Ok(Some(version))
}
