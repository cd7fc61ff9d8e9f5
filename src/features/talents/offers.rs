//! Offering and withdrawing one's skills; inviting a resident to lead or help an activity,
//! and their answer.

use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, Set};

use super::entity::{talent, talent_invitation};
use super::rules::{self, Answer, Visibility};
use super::wire::*;
use super::{invitation_change, talent_change};
use crate::domain::FieldError;
use crate::features::deliberation::{name_of, not_found};
use crate::features::schedule::entity::volunteer_group;
use crate::features::territory::created_already;
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// `talent.offer`: the caller's one offer, made or replaced.
pub async fn offer(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TalentOfferArgs,
) -> Result<Outcome> {
    let offer = match rules::offer(&a.skills, &a.tags, &a.free, a.note.as_deref()) {
        Ok(o) => o,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let community = ctx.actor.community_id;
    let id = rules::talent_id(ctx.actor.resident_id, a.visibility);
    let had = talent::Entity::find_by_id(id).one(conn).await?;
    let version = bump_version(conn, community).await?;
    // The offer as the other audience saw it ends: its phones are told it is gone.
    let other = match a.visibility {
        Visibility::Holders => Visibility::Residents,
        Visibility::Residents => Visibility::Holders,
    };
    if let Some(old) = talent::Entity::find_by_id(rules::talent_id(ctx.actor.resident_id, other))
        .one(conn)
        .await?
        .filter(|t| t.deleted_at.is_none())
    {
        let mut m = old.into_active_model();
        m.deleted_at = Set(Some(ctx.now));
        m.version = Set(version);
        m.update(conn).await?;
    }
    let row = talent::Model {
        id,
        community_id: community,
        resident_id: ctx.actor.resident_id,
        name: name_of(conn, ctx.actor).await?,
        skills: rules::barred(offer.skills.iter().map(|s| s.as_str())),
        tags: rules::barred(offer.tags.iter().map(String::as_str)),
        note: offer.note,
        availability: rules::barred(offer.free.iter().map(|f| f.as_str())),
        visibility: a.visibility.as_str().to_owned(),
        scout_key: rules::scout_key(community),
        room_id: (a.visibility == Visibility::Residents)
            .then(|| crate::features::deliberation::rules::room(community)),
        updated_at: ctx.now,
        version,
        created_at: had
            .as_ref()
            .filter(|h| h.deleted_at.is_none())
            .map_or(ctx.now, |h| h.created_at),
        deleted_at: None,
    };
    if had.is_some() {
        row.clone()
            .into_active_model()
            .reset_all()
            .update(conn)
            .await?;
    } else {
        talent::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(Outcome::applied(Some(talent_change(&row)), Some(version)))
}

/// `talent.withdraw`: its resident, or an admin.
pub async fn withdraw(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TalentWithdrawArgs,
) -> Result<Outcome> {
    let Some(row) = talent::Entity::find_by_id(a.talent_id)
        .one(conn)
        .await?
        .filter(|t| t.deleted_at.is_none() && super::sees(ctx.actor, t))
    else {
        return Ok(not_found("no such offer"));
    };
    if row.resident_id != ctx.actor.resident_id && !ctx.actor.is_admin_of(row.community_id) {
        return Ok(Outcome::rejected(
            MutationCode::Forbidden,
            "only the resident who made an offer withdraws it",
            Some(talent_change(&row)),
        ));
    }
    let version = bump_version(conn, row.community_id).await?;
    let mut m = row.into_active_model();
    m.deleted_at = Set(Some(ctx.now));
    m.version = Set(version);
    let gone = m.update(conn).await?;
    Ok(Outcome::applied(Some(talent_change(&gone)), Some(version)))
}

/// `talent.invite`: a position holder or group leader asks a resident who offers a skill.
pub async fn invite(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TalentInviteArgs,
) -> Result<Outcome> {
    let community = ctx.actor.community_id;
    if let Some(existing) = talent_invitation::Entity::find_by_id(a.id)
        .one(conn)
        .await?
    {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            invitation_change(&existing),
        ));
    }
    if !rules::is_scout(ctx.actor) {
        return Ok(Outcome::rejected(
            MutationCode::Forbidden,
            "only position holders and group leaders invite residents to lead or help",
            None,
        ));
    }
    let (activity, message) = match (
        rules::activity(&a.activity),
        rules::message(a.message.as_deref()),
    ) {
        (Ok(x), Ok(m)) => (x, m),
        (Err(e), _) | (_, Err(e)) => return Ok(Outcome::invalid(e)),
    };
    if a.starts_at.is_some_and(|t| t <= ctx.now) {
        return Ok(Outcome::invalid(FieldError::new(
            "starts_at",
            "the activity must start in the future",
        )));
    }
    if a.resident_id == ctx.actor.resident_id {
        return Ok(Outcome::invalid(FieldError::new(
            "resident_id",
            "one does not invite oneself",
        )));
    }
    let skill = match a.skill.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 24 => {
            return Ok(Outcome::invalid(FieldError::new(
                "skill",
                "at most 24 characters",
            )));
        }
        s => s.unwrap_or("").to_owned(),
    };
    let offered = super::offer_of(conn, a.resident_id)
        .await?
        .is_some_and(|t| t.community_id == community);
    if !offered {
        return Ok(not_found("this resident offers no skill"));
    }
    if let Some(g) = a.group_id {
        let live = volunteer_group::Entity::find_by_id(g)
            .one(conn)
            .await?
            .is_some_and(|x| x.community_id == community && x.deleted_at.is_none());
        if !live {
            return Ok(not_found("no such group"));
        }
    }
    let version = bump_version(conn, community).await?;
    let row = talent_invitation::Model {
        id: a.id,
        community_id: community,
        resident_id: a.resident_id,
        inviter_id: ctx.actor.resident_id,
        inviter_name: name_of(conn, ctx.actor).await?,
        inviter_key: rules::inviter_key(ctx.actor.resident_id),
        group_id: a.group_id,
        role: a.role.as_str().to_owned(),
        skill,
        activity,
        starts_at: a.starts_at,
        message,
        status: Answer::Pending.as_str().to_owned(),
        reply: String::new(),
        answered_at: None,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    talent_invitation::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(Outcome::applied(
        Some(invitation_change(&row)),
        Some(version),
    ))
}

/// `talent.answer`: the invitee accepts or declines, until the activity starts.
pub async fn answer(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &TalentAnswerArgs,
) -> Result<Outcome> {
    let Some(row) = talent_invitation::Entity::find_by_id(a.invitation_id)
        .one(conn)
        .await?
        .filter(|i| i.deleted_at.is_none() && super::sees_invitation(ctx.actor, i))
    else {
        return Ok(not_found("no such invitation"));
    };
    if row.resident_id != ctx.actor.resident_id {
        return Ok(Outcome::rejected(
            MutationCode::Forbidden,
            "only the resident invited answers",
            Some(invitation_change(&row)),
        ));
    }
    if row.starts_at.is_some_and(|t| t <= ctx.now) {
        return Ok(Outcome::rejected(
            MutationCode::ActivityStarted,
            "the activity has started: the answer stands",
            Some(invitation_change(&row)),
        ));
    }
    let reply = match rules::reply(a.reply.as_deref()) {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let status = if a.accept {
        Answer::Accepted
    } else {
        Answer::Declined
    };
    if row.status == status.as_str() && row.reply == reply {
        return Ok(Outcome::applied(Some(invitation_change(&row)), None));
    }
    let version = bump_version(conn, row.community_id).await?;
    let mut m = row.into_active_model();
    m.status = Set(status.as_str().to_owned());
    m.reply = Set(reply);
    m.answered_at = Set(Some(ctx.now));
    m.version = Set(version);
    let now = m.update(conn).await?;
    Ok(Outcome::applied(
        Some(invitation_change(&now)),
        Some(version),
    ))
}
