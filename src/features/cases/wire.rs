//! Cases' wire types: the mutations of the closed loop, and cases and departments as phones
//! see them.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules::{Category, Source, State, Tier};
use crate::features::attachments::wire::{PhotoArgs, PhotoData};
use crate::{change, mutation};

mutation!(
    /// Add a department of the mining company, with the resident who is its liaison
    /// (admins and the president).
    DepartmentCreateMutation(DepartmentArgs)
);
mutation!(
    /// Rename a department or change its liaison; the open cases assigned to it go to the
    /// new liaison (admins and the president).
    DepartmentUpdateMutation(DepartmentArgs)
);
mutation!(
    /// Set the community's urgency tiers, in hours (admins and the president).
    CasesConfigureMutation(CasesConfigureArgs)
);
mutation!(
    /// Report a case: a resident from the app; a help-team member, grid worker or holder on
    /// a resident's behalf (`on_behalf_of`); a grid worker from a log entry that needs
    /// follow-up (`log_entry_id`: the entry and the case link to each other).
    CaseReportMutation(CaseReportArgs)
);
mutation!(
    /// Accept a reported case, optionally setting its tier (its handlers: holders over its
    /// place, the president, admins).
    CaseAcceptMutation(CaseAcceptArgs)
);
mutation!(
    /// Refuse a case, with the reason its reporter is shown (its handlers).
    CaseRefuseMutation(CaseTextArgs)
);
mutation!(
    /// Give a case to someone to handle: a resident (a holder, a grid worker), a volunteer
    /// group (its leaders), or a company department (its liaison) (its handlers).
    CaseAssignMutation(CaseAssignArgs)
);
mutation!(
    /// Start handling an assigned case (its assignee, or handlers).
    CaseStartMutation(CaseRef)
);
mutation!(
    /// Report a case handled, saying what was done (its assignee, or handlers).
    CaseResolveMutation(CaseTextArgs)
);
mutation!(
    /// Confirm a resolved case, with a satisfaction rating (its reporter).
    CaseConfirmMutation(CaseConfirmArgs)
);
mutation!(
    /// Reopen a resolved case, saying why (its reporter): back to its handlers.
    CaseReopenMutation(CaseTextArgs)
);
mutation!(
    /// Merge a duplicate into another open case (`into`); the duplicate's reporter follows
    /// that one from then on (its handlers).
    CaseMergeMutation(CaseMergeArgs)
);
mutation!(
    /// Add a note (and photos) to a case's timeline (whoever sees it).
    CaseNoteMutation(CaseNoteArgs)
);
mutation!(
    /// Record a company department's reply on a case (the department's liaison, the
    /// help-team member who took it, or its handlers); its reporter sees it.
    CaseReplyMutation(CaseTextArgs)
);

#[derive(Debug, Clone, Object)]
pub struct DepartmentArgs {
    pub id: Uuid,
    /// Like `供暖科` or `物業公司`, 1 to 40 characters.
    #[oai(validator(min_length = 1, max_length = 40))]
    pub name: String,
    /// The resident who is its liaison.
    pub liaison_id: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct CasesConfigureArgs {
    #[oai(validator(minimum(value = "1"), maximum(value = "168")))]
    pub red_hours: u32,
    #[oai(validator(minimum(value = "1"), maximum(value = "168")))]
    pub yellow_hours: u32,
    #[oai(validator(minimum(value = "1"), maximum(value = "168")))]
    pub blue_hours: u32,
}

#[derive(Debug, Clone, Object)]
pub struct CaseReportArgs {
    pub id: Uuid,
    pub category: Category,
    /// Default: yellow (the handler may change it when accepting).
    pub tier: Option<Tier>,
    /// Where: a building, area or compound (none: the community's).
    pub unit_id: Option<Uuid>,
    /// Where, in words.
    #[oai(validator(max_length = 200))]
    pub place: Option<String>,
    /// What is wrong, up to 2,000 characters; required but for a case from a log entry
    /// (whose finding it takes).
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    #[oai(default)]
    pub photos: Vec<PhotoArgs>,
    /// The resident it is reported for (by a help-team member, grid worker or holder).
    pub on_behalf_of: Option<Uuid>,
    /// The log entry it follows up (by the entry's grid worker; place and text come from
    /// the entry when not given).
    pub log_entry_id: Option<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct CaseRef {
    pub id: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct CaseAcceptArgs {
    pub id: Uuid,
    pub tier: Option<Tier>,
}

#[derive(Debug, Clone, Object)]
pub struct CaseTextArgs {
    pub id: Uuid,
    /// 1 to 2,000 characters.
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub text: String,
}

/// Who handles a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename = "AssigneeKind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AssigneeKind {
    /// A resident: a holder, a grid worker, a help-team member.
    Resident,
    /// A volunteer group (its leaders see it).
    Group,
    /// A company department (its liaison sees it).
    Department,
}

#[derive(Debug, Clone, Object)]
pub struct CaseAssignArgs {
    pub id: Uuid,
    pub kind: AssigneeKind,
    /// The resident, group or department.
    pub to: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct CaseConfirmArgs {
    pub id: Uuid,
    /// 1 (very unsatisfied) to 5 (very satisfied).
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    pub rating: u8,
    #[oai(validator(max_length = 500))]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct CaseMergeArgs {
    pub id: Uuid,
    /// The case it duplicates.
    pub into: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct CaseNoteArgs {
    pub id: Uuid,
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub text: String,
    #[oai(default)]
    pub photos: Vec<PhotoArgs>,
}

/// One step on a case's timeline.
#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct TimelineStep {
    pub at: DateTime<Utc>,
    /// `reported`, `accepted`, `refused`, `assigned`, `started`, `resolved`, `confirmed`,
    /// `reopened`, `merged`, `note`, `reply`, `escalated`.
    pub step: String,
    /// Who took it (the department's name for a reply; empty for the clock's).
    pub by: String,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The case's state after it.
    pub state: State,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct CaseData {
    pub id: Uuid,
    pub source: Source,
    pub category: Category,
    pub tier: Tier,
    /// What is wrong. (A dispute's row reaches only its reporter, the president, its
    /// assignee and whoever took it: see the module doc.)
    pub description: String,
    #[oai(skip_serializing_if_is_none)]
    pub building_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub area_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub compound_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub cell_id: Option<Uuid>,
    pub place: String,
    pub reporter_id: Uuid,
    pub reporter_name: String,
    /// Who took it on the reporter's behalf.
    pub intake_name: String,
    #[oai(skip_serializing_if_is_none)]
    pub log_entry_id: Option<Uuid>,
    pub state: State,
    /// Why it was refused.
    #[oai(skip_serializing_if_is_none)]
    pub refusal: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub assignee_kind: Option<AssigneeKind>,
    #[oai(skip_serializing_if_is_none)]
    pub assignee_id: Option<Uuid>,
    pub assignee_name: String,
    /// From the tier; past it while open, the case is overdue.
    pub due_at: DateTime<Utc>,
    /// When it was escalated to the level above for being overdue.
    #[oai(skip_serializing_if_is_none)]
    pub escalated_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub rating: Option<u8>,
    pub reopen_count: u32,
    /// The case it was merged into, which its reporter now follows.
    #[oai(skip_serializing_if_is_none)]
    pub merged_into: Option<Uuid>,
    /// The state of the case it was merged into.
    #[oai(skip_serializing_if_is_none)]
    pub survivor_state: Option<State>,
    pub timeline: Vec<TimelineStep>,
    pub photos: Vec<PhotoData>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct DepartmentData {
    pub id: Uuid,
    pub name: String,
    pub liaison_id: Uuid,
    pub liaison_name: String,
}

change!(
    /// A case the caller may see was reported or moved (`put`), or is gone.
    CaseChange(CaseData)
);
change!(
    /// A company department was added or changed (`put`), or removed.
    DepartmentChange(DepartmentData)
);
