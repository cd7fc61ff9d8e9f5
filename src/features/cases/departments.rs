//! The mining company's departments (each reached through a liaison), and the community's
//! urgency tiers.

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
};
use uuid::Uuid;

use super::entity::{case_file, case_setting, department};
use super::rules::{self, Tiers};
use super::wire::*;
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Target};
use crate::features::territory::{authorize, created_already};
use crate::features::{Change, Ctx, MutationCode, Outcome};
use crate::sync::wire::ChangeOp;
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// A live resident of the actor's community, by id: their name.
pub(crate) async fn resident_name(
    conn: &impl ConnectionTrait,
    community: Uuid,
    id: Uuid,
) -> Result<Option<String>> {
    Ok(crate::persistence::residents::find_active(conn, id)
        .await?
        .filter(|r| r.community_id == community)
        .map(|r| r.display_name))
}

fn runs(ctx: &Ctx<'_>) -> crate::features::Decision<()> {
    authorize(
        ctx.actor,
        Action::ManageTerritory,
        Target::Community {
            id: ctx.actor.community_id,
        },
    )
}

/// `department.create`.
pub async fn create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &DepartmentArgs,
) -> Result<Outcome> {
    if let Some(d) = department::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(d.community_id, ctx.actor, change(&d)));
    }
    if let Err(o) = runs(ctx) {
        return Ok(*o);
    }
    let Some(liaison_name) = resident_name(conn, ctx.actor.community_id, a.liaison_id).await?
    else {
        return Ok(Outcome::rejected(
            MutationCode::OwnerOutsideCommunity,
            "the liaison must be a resident of this community",
            None,
        ));
    };
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let row = department::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        name: a.name.trim().to_owned(),
        liaison_id: a.liaison_id,
        liaison_name,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    department::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(Outcome::applied(Some(change(&row)), Some(version)))
}

/// `department.update`: a new liaison takes over the open cases assigned to it.
pub async fn update(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &DepartmentArgs,
) -> Result<Outcome> {
    let Some(d) = department::Entity::find_by_id(a.id)
        .one(conn)
        .await?
        .filter(|d| d.community_id == ctx.actor.community_id && d.deleted_at.is_none())
    else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such department",
            None,
        ));
    };
    if let Err(o) = runs(ctx) {
        return Ok(*o);
    }
    let Some(liaison_name) = resident_name(conn, ctx.actor.community_id, a.liaison_id).await?
    else {
        return Ok(Outcome::rejected(
            MutationCode::OwnerOutsideCommunity,
            "the liaison must be a resident of this community",
            None,
        ));
    };
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let moved = d.liaison_id != a.liaison_id;
    let mut m = d.into_active_model();
    m.name = Set(a.name.trim().to_owned());
    m.liaison_id = Set(a.liaison_id);
    m.liaison_name = Set(liaison_name);
    m.version = Set(version);
    let d = m.update(conn).await?;
    if moved {
        let open: Vec<&str> = rules::State::ALL
            .iter()
            .filter(|s| s.open() || **s == rules::State::Resolved)
            .map(|s| s.as_str())
            .collect();
        case_file::Entity::update_many()
            .col_expr(
                case_file::Column::AssigneeKey,
                Some(rules::person(d.liaison_id)).into(),
            )
            .col_expr(case_file::Column::Version, version.into())
            .filter(case_file::Column::AssigneeKind.eq(AssigneeKind::Department.as_str()))
            .filter(case_file::Column::AssigneeId.eq(d.id))
            .filter(case_file::Column::State.is_in(open))
            .exec(conn)
            .await?;
    }
    Ok(Outcome::applied(Some(change(&d)), Some(version)))
}

impl AssigneeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resident => "resident",
            Self::Group => "group",
            Self::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Resident, Self::Group, Self::Department]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// `cases.configure`.
pub async fn configure(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CasesConfigureArgs,
) -> Result<Outcome> {
    if let Err(o) = runs(ctx) {
        return Ok(*o);
    }
    let tiers = Tiers {
        red: a.red_hours,
        yellow: a.yellow_hours,
        blue: a.blue_hours,
    };
    if !tiers.valid() {
        return Ok(Outcome::invalid(FieldError::new(
            "red_hours",
            "red must be no longer than yellow, and yellow than blue",
        )));
    }
    let c = ctx.actor.community_id;
    let row = case_setting::ActiveModel {
        id: Set(c),
        community_id: Set(c),
        red_hours: Set(i32::try_from(tiers.red).unwrap_or(2)),
        yellow_hours: Set(i32::try_from(tiers.yellow).unwrap_or(24)),
        blue_hours: Set(i32::try_from(tiers.blue).unwrap_or(72)),
        updated_at: Set(ctx.now),
    };
    if case_setting::Entity::find_by_id(c)
        .one(conn)
        .await?
        .is_some()
    {
        row.update(conn).await?;
    } else {
        case_setting::Entity::insert(row)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(Outcome::applied(None, None))
}

/// The community's tiers (the defaults until it sets its own).
pub async fn tiers_of(conn: &impl ConnectionTrait, community: Uuid) -> Result<Tiers> {
    Ok(case_setting::Entity::find_by_id(community)
        .one(conn)
        .await?
        .map(|s| Tiers {
            red: u32::try_from(s.red_hours).unwrap_or(2),
            yellow: u32::try_from(s.yellow_hours).unwrap_or(24),
            blue: u32::try_from(s.blue_hours).unwrap_or(72),
        })
        .unwrap_or_default())
}

pub fn change(d: &department::Model) -> Change {
    let data = (d.deleted_at.is_none()).then(|| DepartmentData {
        id: d.id,
        name: d.name.clone(),
        liaison_id: d.liaison_id,
        liaison_name: d.liaison_name.clone(),
    });
    Change::Department(DepartmentChange {
        id: d.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}
