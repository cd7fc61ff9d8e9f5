//! Mediation's wire types.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{change, mutation};

mutation!(
    /// Open the mediation of a dispute case: its parties (residents, or people named who
    /// are not) and its mediators (holders of the mediator position) (the president, and
    /// admins). The case goes to the first mediator.
    MediationOpenMutation(MediationOpenArgs)
);
mutation!(
    /// Record a mediation session: when, where, notes (a mediator of it).
    MediationSessionMutation(MediationSessionArgs)
);
mutation!(
    /// Write the agreement (調解協議): who, the facts, what is agreed, how and when it is
    /// carried out (a mediator). Every party confirms it again.
    MediationAgreeMutation(MediationTextArgs)
);
mutation!(
    /// Confirm the agreement: a party in the app for themselves, or a mediator recording a
    /// party's signature on paper.
    MediationConfirmMutation(MediationConfirmArgs)
);
mutation!(
    /// Record a follow-up visit on how the agreement is kept (a mediator).
    MediationFollowUpMutation(MediationTextArgs)
);
mutation!(
    /// Close the mediation (a mediator): agreed (every party confirmed the agreement),
    /// failed, or withdrawn. The dispute case is resolved with the outcome alone.
    MediationCloseMutation(MediationCloseArgs)
);

/// A party to a dispute: a resident, or someone named who is not.
#[derive(Debug, Clone, Object)]
pub struct PartyArgs {
    pub resident_id: Option<Uuid>,
    /// For a party who is not a resident; 1 to 40 characters.
    #[oai(validator(max_length = 40))]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct MediationOpenArgs {
    pub case_id: Uuid,
    /// 2 to 6 parties.
    #[oai(validator(min_items = 2, max_items = 6))]
    pub parties: Vec<PartyArgs>,
    /// 1 to 3 mediators.
    #[oai(validator(min_items = 1, max_items = 3))]
    pub mediators: Vec<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct MediationSessionArgs {
    pub case_id: Uuid,
    pub at: DateTime<Utc>,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub place: String,
    #[oai(validator(max_length = 4000))]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct MediationTextArgs {
    pub case_id: Uuid,
    #[oai(validator(min_length = 1, max_length = 4000))]
    pub text: String,
}

#[derive(Debug, Clone, Object)]
pub struct MediationConfirmArgs {
    pub case_id: Uuid,
    /// The party (its place in the list), when a mediator records a paper signature; a
    /// party confirming in the app leaves it out.
    pub party: Option<u32>,
}

/// How a mediation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MediationOutcome {
    /// Still going.
    Open,
    /// 調解成功: an agreement every party confirmed.
    Agreed,
    /// 調解不成.
    Failed,
    /// A party withdrew (mediation is voluntary).
    Withdrawn,
}

impl MediationOutcome {
    pub const ALL: [Self; 4] = [Self::Open, Self::Agreed, Self::Failed, Self::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Agreed => "agreed",
            Self::Failed => "failed",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

#[derive(Debug, Clone, Object)]
pub struct MediationCloseArgs {
    pub case_id: Uuid,
    /// `agreed`, `failed` or `withdrawn`.
    pub outcome: MediationOutcome,
}

#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct MediationParty {
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident_id: Option<Uuid>,
    pub name: String,
    /// When they confirmed the current agreement.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
    /// `app`, or `paper` (recorded by a mediator).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct MediationMediator {
    pub resident_id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct MediationSession {
    pub at: DateTime<Utc>,
    pub place: String,
    pub notes: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct MediationNote {
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
}

/// A mediation, as each of its readers sees it.
#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct MediationData {
    /// Its dispute case.
    pub case_id: Uuid,
    /// The dispute, as reported.
    pub description: String,
    pub parties: Vec<MediationParty>,
    pub mediators: Vec<MediationMediator>,
    pub sessions: Vec<MediationSession>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<MediationNote>,
    pub follow_ups: Vec<MediationNote>,
    pub outcome: MediationOutcome,
    pub opened_at: DateTime<Utc>,
}

/// One reader's copy.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct MediationCopyData {
    pub id: Uuid,
    pub mediation: MediationData,
}

change!(
    /// The caller's copy of a mediation they are a party to, mediate, or (as president)
    /// oversee was written (`put`), or is no longer theirs.
    MediationChange(MediationCopyData)
);
