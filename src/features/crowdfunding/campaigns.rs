//! Campaigns and pledges: starting, opening, closing and calling off a campaign; pledging
//! and withdrawing. Each keeps the campaign's running totals, so phones show the progress
//! without adding anything up.

use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use super::entity::{campaign, pledge};
use super::rules::{self, ItemCount, Status};
use super::wire::*;
use super::{campaign_change, pledge_change};
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Target};
use crate::entity::resident;
use crate::features::attachments::{self, OwnerKind};
use crate::features::deliberation::{level_of, name_of, not_found, refused};
use crate::features::territory::{authorize, created_already};
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// Items as stored.
pub(crate) fn items_of(column: &str) -> Vec<ItemCount> {
    serde_json::from_str(column).unwrap_or_default()
}

pub(crate) fn items_column(items: &[ItemCount]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// `campaign.create`: a draft, by the committee over its unit.
pub async fn create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CampaignCreateArgs,
) -> Result<Outcome> {
    if let Some(existing) = campaign::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            campaign_change(&existing),
        ));
    }
    let checked = (|| {
        let title = rules::title(&a.title)?;
        let purpose = rules::text("purpose", &a.purpose)?;
        let goal_fen = rules::fen("goal_fen", a.goal_fen)?;
        let goal_items = rules::items("goal_items", &a.goal_items)?;
        if !(0..=1_000_000).contains(&a.goal_hours) {
            return Err(FieldError::new("goal_hours", "0 to 1,000,000 hours"));
        }
        if goal_fen == 0 && goal_items.is_empty() && a.goal_hours == 0 {
            return Err(FieldError::new(
                "goal_fen",
                "set a goal in money, goods or volunteer hours",
            ));
        }
        if a.deadline <= ctx.now {
            return Err(FieldError::new("deadline", "must be in the future"));
        }
        Ok((title, purpose, goal_fen, goal_items))
    })();
    let (title, purpose, goal_fen, goal_items) = match checked {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let Some((level, target)) = level_of(conn, ctx.actor, a.unit_id).await? else {
        return Ok(not_found("no such building, area or compound"));
    };
    if let Err(refusal) = authorize(ctx.actor, Action::Organise, target) {
        return Ok(*refusal);
    }
    let Some(treasurer) = resident::Entity::find_by_id(a.treasurer_id)
        .one(conn)
        .await?
        .filter(|r| r.community_id == ctx.actor.community_id && r.deleted_at.is_none())
    else {
        return Ok(Outcome::invalid(FieldError::new(
            "treasurer_id",
            "not a resident of this community",
        )));
    };
    if let Some(s) = a.series_id {
        use crate::features::schedule::entity::series;
        let live = series::Entity::find_by_id(s)
            .one(conn)
            .await?
            .is_some_and(|x| x.community_id == ctx.actor.community_id && x.deleted_at.is_none());
        if !live {
            return Ok(Outcome::invalid(FieldError::new(
                "series_id",
                "not a volunteer series of this community",
            )));
        }
    }
    let photos = match attachments::declare(conn, ctx, OwnerKind::Campaign, a.id, &a.photos).await?
    {
        Ok(p) => p,
        Err(refusal) => return Ok(refusal),
    };
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let row = campaign::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        unit_id: level.unit,
        area_id: level.area,
        compound_id: level.compound,
        title,
        purpose,
        organiser_id: ctx.actor.resident_id,
        organiser_name: name_of(conn, ctx.actor).await?,
        treasurer_id: treasurer.id,
        treasurer_name: treasurer.display_name,
        goal_fen,
        goal_items: items_column(&goal_items),
        goal_hours: a.goal_hours,
        deadline: a.deadline,
        status: Status::Draft.as_str().to_owned(),
        pledged_fen: 0,
        pledged_hours: 0,
        received_fen: 0,
        received_items: "[]".into(),
        spent_fen: 0,
        balance_fen: 0,
        pledges: 0,
        ledger_length: 0,
        ledger_head: rules::GENESIS.to_owned(),
        report: None,
        photos: attachments::to_column(&photos),
        rating_count: 0,
        rating_sum: 0,
        series_id: a.series_id,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    campaign::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(Outcome::applied(Some(campaign_change(&row)), Some(version)))
}

/// The live campaign `id` of the actor's community (every resident sees campaigns).
pub(crate) async fn live(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<Option<campaign::Model>> {
    Ok(campaign::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|c| c.community_id == ctx.actor.community_id && c.deleted_at.is_none()))
}

/// The campaign's organiser, or whoever may organise where it is (the committee over it).
async fn organises(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    c: &campaign::Model,
) -> Result<bool> {
    if c.organiser_id == ctx.actor.resident_id {
        return Ok(true);
    }
    let target = level_of(conn, ctx.actor, c.unit_id)
        .await?
        .map_or(Target::Community { id: c.community_id }, |(_, t)| t);
    Ok(authorize(ctx.actor, Action::Organise, target).is_ok())
}

/// `campaign.open`, `campaign.close`, `campaign.cancel`: the organiser moves it on.
async fn move_to(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
    to: Status,
    report: Option<&str>,
) -> Result<Outcome> {
    let Some(c) = live(conn, ctx, id).await? else {
        return Ok(not_found("no such campaign"));
    };
    if !organises(conn, ctx, &c).await? {
        return Ok(refused(
            MutationCode::Forbidden,
            "only its organiser (or the committee over it) does this",
            Some(campaign_change(&c)),
        ));
    }
    let from = Status::parse(&c.status).unwrap_or(Status::Draft);
    let allowed = match to {
        Status::Open => from == Status::Draft,
        Status::Closed => from.takes_pledges(),
        Status::Cancelled => matches!(from, Status::Draft | Status::Open | Status::Funded),
        Status::Draft | Status::Funded => false,
    };
    if !allowed {
        return Ok(refused(
            MutationCode::CampaignState,
            format!(
                "the campaign is {}: it cannot be {} now",
                from.as_str(),
                to.as_str()
            ),
            Some(campaign_change(&c)),
        ));
    }
    let report = match report.map(|r| rules::text("report", r)).transpose() {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let mut m = c.clone();
    m.status = match to {
        Status::Open => rules::running_status(c.goal_fen, c.received_fen),
        other => other,
    }
    .as_str()
    .to_owned();
    if report.is_some() {
        m.report = report;
    }
    m.version = version;
    let saved = m.into_active_model().reset_all().update(conn).await?;
    Ok(Outcome::applied(
        Some(campaign_change(&saved)),
        Some(version),
    ))
}

pub async fn open(conn: &impl ConnectionTrait, ctx: &Ctx<'_>, a: &CampaignRef) -> Result<Outcome> {
    move_to(conn, ctx, a.campaign_id, Status::Open, None).await
}

pub async fn close(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CampaignCloseArgs,
) -> Result<Outcome> {
    move_to(conn, ctx, a.campaign_id, Status::Closed, Some(&a.report)).await
}

pub async fn cancel(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CampaignCloseArgs,
) -> Result<Outcome> {
    move_to(conn, ctx, a.campaign_id, Status::Cancelled, Some(&a.report)).await
}

/// `pledge.make`: any resident, to an open campaign before its deadline.
pub async fn pledge(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &PledgeMakeArgs,
) -> Result<Outcome> {
    if let Some(existing) = pledge::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(if existing.resident_id == ctx.actor.resident_id {
            Outcome::applied(Some(pledge_change(&existing)), None)
        } else {
            Outcome::rejected(MutationCode::Conflict, "this id is already in use", None)
        });
    }
    let (amount, items, hours) = match rules::pledge(a.amount_fen, &a.items, a.hours) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    // The campaign's totals move: take the community's turn first, then read it.
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let Some(c) = live(conn, ctx, a.campaign_id).await? else {
        return Ok(not_found("no such campaign"));
    };
    let status = Status::parse(&c.status).unwrap_or(Status::Draft);
    if !status.takes_pledges() || c.deadline <= ctx.now {
        return Ok(refused(
            MutationCode::CampaignNotOpen,
            if status.takes_pledges() {
                "the campaign's deadline has passed".to_owned()
            } else {
                format!("the campaign is {}: it takes no pledges", status.as_str())
            },
            Some(campaign_change(&c)),
        ));
    }
    let row = pledge::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        campaign_id: c.id,
        resident_id: ctx.actor.resident_id,
        name: name_of(conn, ctx.actor).await?,
        anonymous: a.anonymous,
        treasurer_key: rules::person_key(c.treasurer_id),
        amount_fen: amount,
        items: items_column(&items),
        hours,
        status: "pledged".into(),
        entry_id: None,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    pledge::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    let mut m = c;
    m.pledged_fen += amount;
    m.pledged_hours += hours;
    m.pledges += 1;
    m.version = version;
    m.into_active_model().reset_all().update(conn).await?;
    Ok(Outcome::applied(Some(pledge_change(&row)), Some(version)))
}

/// `pledge.withdraw`: its pledger, while it is not received.
pub async fn withdraw(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &PledgeRef,
) -> Result<Outcome> {
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let Some(p) = pledge::Entity::find_by_id(a.pledge_id)
        .one(conn)
        .await?
        .filter(|p| p.resident_id == ctx.actor.resident_id && p.deleted_at.is_none())
    else {
        return Ok(not_found("no such pledge of yours"));
    };
    match p.status.as_str() {
        "withdrawn" => return Ok(Outcome::applied(Some(pledge_change(&p)), None)),
        "received" => {
            return Ok(refused(
                MutationCode::AlreadyReceived,
                "the treasurer has received it: ask them to reverse the entry",
                Some(pledge_change(&p)),
            ));
        }
        _ => {}
    }
    let saved = withdraw_row(conn, p, version).await?;
    Ok(Outcome::applied(Some(pledge_change(&saved)), Some(version)))
}

/// Marks a pledge withdrawn and takes it off its campaign's totals, at `version`.
pub(crate) async fn withdraw_row(
    conn: &impl ConnectionTrait,
    p: pledge::Model,
    version: i64,
) -> Result<pledge::Model> {
    if let Some(mut c) = campaign::Entity::find_by_id(p.campaign_id)
        .one(conn)
        .await?
    {
        c.pledged_fen -= p.amount_fen;
        c.pledged_hours -= p.hours;
        c.pledges -= 1;
        c.version = version;
        c.into_active_model().reset_all().update(conn).await?;
    }
    let mut m = p;
    m.status = "withdrawn".into();
    m.version = version;
    m.into_active_model().reset_all().update(conn).await
}

/// `campaign.rate`: a pledger whose gift was received rates the closed campaign; again,
/// the rating is replaced.
pub async fn rate(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CampaignRateArgs,
) -> Result<Outcome> {
    use super::entity::campaign_rating;
    use sea_orm::{ColumnTrait, QueryFilter};
    let Some(c) = live(conn, ctx, a.campaign_id).await? else {
        return Ok(not_found("no such campaign"));
    };
    if c.status != Status::Closed.as_str() {
        return Ok(refused(
            MutationCode::CampaignState,
            format!("the campaign is {}: it is rated once closed", c.status),
            Some(campaign_change(&c)),
        ));
    }
    let gave = pledge::Entity::find()
        .filter(pledge::Column::CampaignId.eq(c.id))
        .filter(pledge::Column::ResidentId.eq(ctx.actor.resident_id))
        .filter(pledge::Column::Status.eq("received"))
        .filter(pledge::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .is_some();
    if !gave {
        return Ok(refused(
            MutationCode::Forbidden,
            "only those whose gift it received rate a campaign",
            Some(campaign_change(&c)),
        ));
    }
    let comment = match rules::rating(a.stars, a.comment.as_deref()) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let id = Uuid::new_v5(&c.id, ctx.actor.resident_id.as_bytes());
    let had = campaign_rating::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|r| r.deleted_at.is_none());
    let version = bump_version(conn, c.community_id).await?;
    let row = campaign_rating::Model {
        id,
        community_id: c.community_id,
        campaign_id: c.id,
        resident_id: ctx.actor.resident_id,
        stars: a.stars,
        comment,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    let mut m = c;
    match &had {
        Some(old) => {
            m.rating_sum += a.stars - old.stars;
            row.clone()
                .into_active_model()
                .reset_all()
                .update(conn)
                .await?;
        }
        None => {
            m.rating_count += 1;
            m.rating_sum += a.stars;
            campaign_rating::Entity::delete_by_id(id).exec(conn).await?;
            campaign_rating::Entity::insert(row.clone().into_active_model())
                .exec_without_returning(conn)
                .await?;
        }
    }
    m.version = version;
    m.into_active_model().reset_all().update(conn).await?;
    Ok(Outcome::applied(
        Some(super::rating_change(&row)),
        Some(version),
    ))
}
