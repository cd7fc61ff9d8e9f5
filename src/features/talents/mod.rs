//! # Talents (眾人獻藝): everyone offers a skill
//!
//! With few staff, the committee finds the people to lead its activities among the
//! residents: the retired teacher who writes a fine hand, the miner who plays the erhu,
//! the nurse, the electrician, the retired judge for the Saturday legal corner. A resident
//! offers what they can do ([`offers::offer`]): fixed skills every phone shows in its own
//! language ([`rules::Skill`]) and free tags, when they are usually free, a note. Position
//! holders and group leaders search the offers ([`http`]) and invite a resident to lead or
//! help an activity ([`offers::invite`]); the resident accepts or declines.
//!
//! **Who sees what.** An offer is personal data, so by default it is seen only by those who
//! look for talent: the community's position holders and group leaders (over
//! [`rules::scout_key`]), admins, and its resident. A resident may opt in to every
//! neighbour seeing it (`visibility: residents`, over the community's room key). The two
//! audiences are two rows ([`rules::talent_id`]): opting in or out ends one and writes the
//! other, so the phones that no longer see the offer are told it is gone. An
//! invitation is its invitee's and its inviter's ([`rules::inviter_key`]). The REST reads
//! decide with the same rules ([`sees`], [`sees_invitation`]).
//!
//! How the pieces fit: [`wire`] (the contract), [`offers`] (offer, withdraw, invite,
//! answer), [`rules`] (skills, tags, who sees and who scouts, what a search matches, as
//! plain functions), [`entity`], [`http`] (the search), [`export`] (what it holds about a
//! resident).

pub mod entity;
pub mod export;
pub mod http;
pub mod offers;
pub mod rules;
pub mod wire;

use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use crate::domain::permissions::Actor;
use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use crate::sync::wire::ChangeOp;
use entity::{talent, talent_invitation};
use wire::*;

/// Feed order within one version, after crowdfunding's.
pub mod rank {
    pub const TALENT: u8 = 55;
    pub const INVITATION: u8 = 56;
}

/// Talents' synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<talent::Entity, A>::new(
            "talent",
            rank::TALENT,
            Audience::Personal {
                owner: "resident_id",
                over: &["scout_key", "room_id"],
            },
            Encode::Each(talent_change),
            |id| Change::Talent(TalentChange::gone(id)),
        )),
        Box::new(Table::<talent_invitation::Entity, A>::new(
            "talent_invitation",
            rank::INVITATION,
            Audience::Personal {
                owner: "resident_id",
                over: &["inviter_key"],
            },
            Encode::Each(invitation_change),
            |id| Change::TalentInvitation(TalentInvitationChange::gone(id)),
        )),
    ]
}

/// The keys talents are seen over: the scouts' key for position holders and group leaders,
/// and one's own as an inviter. (Every resident holds the community's room key already.)
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    std::iter::once(rules::inviter_key(actor.resident_id))
        .chain(rules::is_scout(actor).then(|| rules::scout_key(actor.community_id)))
}

/// A resident's live offer, under whichever audience it is.
pub async fn offer_of(
    conn: &impl sea_orm::ConnectionTrait,
    resident: Uuid,
) -> Result<Option<talent::Model>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    talent::Entity::find()
        .filter(talent::Column::Id.is_in([
            rules::talent_id(resident, rules::Visibility::Holders),
            rules::talent_id(resident, rules::Visibility::Residents),
        ]))
        .filter(talent::Column::DeletedAt.is_null())
        .one(conn)
        .await
}

/// Whether the actor sees an offer: the same answer as the sync feed's.
pub fn sees(actor: &Actor, t: &talent::Model) -> bool {
    rules::Visibility::parse(&t.visibility)
        .is_some_and(|v| rules::sees(actor, t.community_id, t.resident_id, v))
}

/// Whether the actor sees an invitation: its invitee, its inviter, admins.
pub fn sees_invitation(actor: &Actor, i: &talent_invitation::Model) -> bool {
    i.community_id == actor.community_id
        && (i.resident_id == actor.resident_id
            || i.inviter_id == actor.resident_id
            || actor.is_admin_of(actor.community_id))
}

/// An offer's data, `None` once withdrawn.
pub fn talent_data(t: &talent::Model) -> Option<TalentData> {
    let visibility = rules::Visibility::parse(&t.visibility)?;
    t.deleted_at.is_none().then(|| TalentData {
        id: t.id,
        resident_id: t.resident_id,
        name: t.name.clone(),
        skills: rules::unbar(&t.skills)
            .filter_map(rules::Skill::parse)
            .collect(),
        tags: rules::unbar(&t.tags).map(str::to_owned).collect(),
        free: rules::unbar(&t.availability)
            .filter_map(rules::FreeTime::parse)
            .collect(),
        note: t.note.clone(),
        visibility,
        updated_at: t.updated_at,
    })
}

pub fn talent_change(t: &talent::Model) -> Change {
    let data = talent_data(t);
    Change::Talent(TalentChange {
        id: t.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

pub fn invitation_change(i: &talent_invitation::Model) -> Change {
    let data = match (
        rules::InviteRole::parse(&i.role),
        rules::Answer::parse(&i.status),
    ) {
        (Some(role), Some(status)) if i.deleted_at.is_none() => Some(TalentInvitationData {
            id: i.id,
            resident_id: i.resident_id,
            inviter_id: i.inviter_id,
            inviter_name: i.inviter_name.clone(),
            group_id: i.group_id,
            role,
            skill: Some(i.skill.clone()).filter(|s| !s.is_empty()),
            activity: i.activity.clone(),
            starts_at: i.starts_at,
            message: i.message.clone(),
            status,
            reply: i.reply.clone(),
            answered_at: i.answered_at,
            invited_at: i.created_at,
        }),
        _ => None,
    };
    Change::TalentInvitation(TalentInvitationChange {
        id: i.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

handlers! {
    TalentOfferMutation = "talent.offer" => offers::offer;
    TalentWithdrawMutation = "talent.withdraw" => offers::withdraw;
    TalentInviteMutation = "talent.invite" => offers::invite;
    TalentAnswerMutation = "talent.answer" => offers::answer;
}
