//! Talents' wire types: offering one's skills, withdrawing the offer, inviting a resident
//! to lead or help an activity and answering; an offer and an invitation as phones see them.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use super::rules::{Answer, FreeTime, InviteRole, Skill, Visibility};
use crate::{change, mutation};

mutation!(
    /// Offer one's skills (眾人獻藝): fixed skills and free tags, when one is usually free,
    /// a note, and who may see it (by default only the community's position holders and
    /// group leaders, who look for someone to lead an activity). A resident has one offer:
    /// sending it again replaces it.
    TalentOfferMutation(TalentOfferArgs)
);

#[derive(Debug, Clone, Object)]
pub struct TalentOfferArgs {
    #[oai(default)]
    pub skills: Vec<Skill>,
    /// Free tags, at most 10 of 1 to 12 characters: `二胡`, `太極拳`.
    #[oai(default)]
    pub tags: Vec<String>,
    #[oai(default)]
    pub free: Vec<FreeTime>,
    /// At most 200 characters: `退休語文教師，教過三十年書法`.
    pub note: Option<String>,
    /// `holders` unless the resident opts in to `residents`.
    #[oai(default = "holders_only")]
    pub visibility: Visibility,
}

fn holders_only() -> Visibility {
    Visibility::Holders
}

mutation!(
    /// Withdraw an offer (its resident, or an admin taking down what should not be
    /// there): it leaves every phone. Invitations already sent stay.
    TalentWithdrawMutation(TalentWithdrawArgs)
);

#[derive(Debug, Clone, Object)]
pub struct TalentWithdrawArgs {
    pub talent_id: Uuid,
}

mutation!(
    /// Invite a resident who offers a skill to lead or help an activity (a position holder
    /// or a group leader). Sent again with the same id, it is applied once.
    TalentInviteMutation(TalentInviteArgs)
);

#[derive(Debug, Clone, Object)]
pub struct TalentInviteArgs {
    pub id: Uuid,
    /// The resident, who must have an offer the inviter sees.
    pub resident_id: Uuid,
    /// The volunteer group the activity belongs to, if any.
    pub group_id: Option<Uuid>,
    pub role: InviteRole,
    /// The skill asked for: a fixed skill's name or a tag.
    pub skill: Option<String>,
    /// 1 to 80 characters: `春節寫春聯`.
    pub activity: String,
    pub starts_at: Option<DateTime<Utc>>,
    /// At most 500 characters.
    pub message: Option<String>,
}

mutation!(
    /// Answer an invitation (its invitee): accept or decline, with a few words. The answer
    /// may change until the activity starts.
    TalentAnswerMutation(TalentAnswerArgs)
);

#[derive(Debug, Clone, Object)]
pub struct TalentAnswerArgs {
    pub invitation_id: Uuid,
    /// `true` to accept, `false` to decline.
    pub accept: bool,
    /// At most 200 characters.
    pub reply: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct TalentData {
    pub id: Uuid,
    pub resident_id: Uuid,
    pub name: String,
    pub skills: Vec<Skill>,
    pub tags: Vec<String>,
    pub free: Vec<FreeTime>,
    pub note: String,
    pub visibility: Visibility,
    pub updated_at: DateTime<Utc>,
}

change!(
    /// A resident's offer of skills: the caller's own, one opted in to every resident, or
    /// (for position holders and group leaders) any of the community's; or it is gone.
    TalentChange(TalentData)
);

#[derive(Debug, Clone, PartialEq, Object)]
pub struct TalentInvitationData {
    pub id: Uuid,
    /// The invitee.
    pub resident_id: Uuid,
    pub inviter_id: Uuid,
    pub inviter_name: String,
    #[oai(skip_serializing_if_is_none)]
    pub group_id: Option<Uuid>,
    pub role: InviteRole,
    #[oai(skip_serializing_if_is_none)]
    pub skill: Option<String>,
    pub activity: String,
    #[oai(skip_serializing_if_is_none)]
    pub starts_at: Option<DateTime<Utc>>,
    pub message: String,
    pub status: Answer,
    pub reply: String,
    #[oai(skip_serializing_if_is_none)]
    pub answered_at: Option<DateTime<Utc>>,
    pub invited_at: DateTime<Utc>,
}

change!(
    /// An invitation to the caller, or one they sent.
    TalentInvitationChange(TalentInvitationData)
);
