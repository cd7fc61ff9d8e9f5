//! Deliberation's wire types: its mutations, the data its changes carry, and the changes
//! themselves. `crate::features` puts them into the app's unions.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use super::rules;
use crate::{change, mutation};

mutation!(
    /// Raise a topic (議題) for one's building, area or compound, or the community (a
    /// verified resident living there; holders over it and admins too). It collects the
    /// unit's supports until it reaches the unit's threshold and goes onto the agenda.
    TopicRaiseMutation(TopicRaiseArgs)
);
mutation!(
    /// Support a topic: a verified resident of its unit, once (`already_supported`).
    TopicSupportMutation(TopicRef)
);
mutation!(
    /// Put a topic onto its level's agenda, or (`up`) refer it up a level: building → area
    /// → compound → community (holders of a committee position over it, and admins). Its
    /// history keeps every step.
    TopicReferMutation(TopicReferArgs)
);
mutation!(
    /// Comment in a topic's thread (whoever sees the topic); shown with the author's name
    /// and position.
    CommentPostMutation(CommentPostArgs)
);
mutation!(
    /// Hide a comment, with a reason its author and admins see (holders of a committee
    /// position over the topic's unit, and admins). Others' phones drop it.
    CommentHideMutation(CommentHideArgs)
);
mutation!(
    /// Set a unit's (or the community's) deliberation rules: the supports a topic needs
    /// (a number, or a percentage of the unit's verified residents) and the meetings'
    /// quorum (admins and the president).
    DeliberationConfigureMutation(DeliberationConfigureArgs)
);
mutation!(
    /// Convene a meeting for a unit (holders of a committee position over it, and admins):
    /// time, place, agenda, and invitees. The unit's representatives and the holders of
    /// elected positions over it or inside it are invited as voting members by default.
    MeetingConveneMutation(MeetingConveneArgs)
);
mutation!(
    /// Invite one more resident (a resident, a company liaison, an observer, or a voting
    /// member) while the meeting is open (its convener, and admins).
    MeetingInviteMutation(MeetingInviteArgs)
);
mutation!(
    /// Answer an invitation: attending or not (the invitee).
    MeetingAnswerMutation(MeetingAnswerArgs)
);
mutation!(
    /// Check in at the meeting: oneself by phone, or (`resident_id`) an invitee without a
    /// phone, by the convener. Quorum counts the voting members checked in.
    MeetingCheckInMutation(MeetingCheckInArgs)
);
mutation!(
    /// Close the meeting (or call it off: `cancelled`) (its convener, and admins). Open
    /// motions close with it; no motion, vote or check-in is taken after.
    MeetingCloseMutation(MeetingCloseArgs)
);
mutation!(
    /// Write the minutes (the convener): each write is a new revision, kept with the older
    /// ones; an approved text changed again needs approving again.
    MinutesWriteMutation(MinutesWriteArgs)
);
mutation!(
    /// Approve the minutes as of a revision (the chair: the convener). A newer revision
    /// than the one read is `minutes_changed`.
    MinutesApproveMutation(MinutesApproveArgs)
);
mutation!(
    /// Put a motion to the meeting (the convener, or a voting member checked in). It may
    /// amend or repeal a decision in force, or adopt a new version of the charter or of the
    /// meeting rules (then it needs two thirds).
    MotionProposeMutation(MotionProposeArgs)
);
mutation!(
    /// Change a motion's text before anyone has voted (the convener). Once it is decided its
    /// text is final (`decision_final`): only a later decision changes a decision.
    MotionEditMutation(MotionEditArgs)
);
mutation!(
    /// Vote on a motion: a voting member checked in, while the motion is open and the
    /// meeting quorate. Counted only if the server receives it before the chair closes the
    /// vote (`motion_closed` after); a second vote is `already_voted`, the first stands.
    MotionVoteMutation(MotionVoteArgs)
);
mutation!(
    /// Record a show of hands in one step (the convener): each voting member checked in
    /// with their choice. Members who already voted on their phone keep that vote.
    MotionHandsMutation(MotionHandsArgs)
);
mutation!(
    /// Close the vote (the convener): counted against the voting members present; a
    /// passed motion enters the register as a decision at once.
    MotionCloseMutation(MotionRef)
);
mutation!(
    /// Assign a task carrying out a decision (holders of a committee position over its unit,
    /// and admins): an owner (a resident of the community: a holder, a company liaison; or a
    /// volunteer group) and a due date.
    TaskAssignMutation(TaskAssignArgs)
);
mutation!(
    /// Report progress on a task (its owner, a leader of the owning group, the committee
    /// over its unit, admins): a status and a note, kept as its history.
    TaskReportMutation(TaskReportArgs)
);
mutation!(
    /// Report back on a decision (its convener, the committee over its unit, admins): on
    /// its review date, or when it is carried out (`done`, which opens it to ratings).
    DecisionReportMutation(DecisionReportArgs)
);
mutation!(
    /// Rate a decision carried out (a verified resident of its unit): satisfied, partly or
    /// not, with a comment. Rating again replaces one's rating.
    DecisionRateMutation(DecisionRateArgs)
);

/// What a topic is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum CategoryWire {
    Parking,
    Sanitation,
    Safety,
    Repairs,
    Neighbours,
    Activities,
    CompanyAffairs,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TopicStateWire {
    /// Collecting supports.
    Open,
    /// On its level's agenda.
    OnAgenda,
    /// A motion on it passed (`decision_id`).
    Decided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum QuorumWire {
    /// More than half of the voting members (the default).
    Half,
    /// At least two thirds.
    TwoThirds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RuleWire {
    /// More than half of the voting members present agree (the default).
    Majority,
    /// At least two thirds of those present agree (the charter, the meeting rules).
    TwoThirds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ChoiceWire {
    Agree,
    Against,
    Abstain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum PartWire {
    /// Votes.
    Member,
    /// An invited resident.
    Resident,
    /// A company department's liaison.
    Liaison,
    Observer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AnswerWire {
    Pending,
    Attending,
    NotAttending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MeetingStateWire {
    Scheduled,
    Closed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MotionStateWire {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DocumentKindWire {
    /// 《社區居民協商自治章程》.
    Charter,
    /// The joint meeting's rules of procedure.
    MeetingRules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DecisionStateWire {
    InForce,
    Amended,
    Repealed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TaskStatusWire {
    NotStarted,
    InProgress,
    Blocked,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OwnerKindWire {
    /// A resident of the community (a holder, a company liaison).
    Resident,
    /// A volunteer group.
    Group,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RatingWire {
    Satisfied,
    Partly,
    NotSatisfied,
}

/// Maps a wire enum to and from the rules' names, by their shared snake_case names.
macro_rules! same_names {
    ($($wire:ident <=> $rule:ty { $($v:ident = $r:ident),* $(,)? })*) => {$(
        impl From<$wire> for $rule {
            fn from(w: $wire) -> Self {
                match w { $($wire::$v => <$rule>::$r),* }
            }
        }
        impl From<$rule> for $wire {
            fn from(r: $rule) -> Self {
                match r { $(<$rule>::$r => $wire::$v),* }
            }
        }
    )*};
}

same_names! {
    CategoryWire <=> rules::Category {
        Parking = Parking, Sanitation = Sanitation, Safety = Safety, Repairs = Repairs,
        Neighbours = Neighbours, Activities = Activities, CompanyAffairs = CompanyAffairs,
        Other = Other,
    }
    TopicStateWire <=> rules::TopicState { Open = Open, OnAgenda = OnAgenda, Decided = Decided }
    QuorumWire <=> rules::Quorum { Half = Half, TwoThirds = TwoThirds }
    RuleWire <=> rules::Rule { Majority = Majority, TwoThirds = TwoThirds }
    ChoiceWire <=> rules::Choice { Agree = Agree, Against = Against, Abstain = Abstain }
    PartWire <=> rules::Part { Member = Member, Resident = Resident, Liaison = Liaison, Observer = Observer }
    AnswerWire <=> rules::Answer { Pending = Pending, Attending = Attending, NotAttending = NotAttending }
    DocumentKindWire <=> rules::DocumentKind { Charter = Charter, MeetingRules = MeetingRules }
    DecisionStateWire <=> rules::DecisionState { InForce = InForce, Amended = Amended, Repealed = Repealed }
    TaskStatusWire <=> rules::TaskStatus {
        NotStarted = NotStarted, InProgress = InProgress, Blocked = Blocked, Done = Done,
    }
    RatingWire <=> rules::Rating { Satisfied = Satisfied, Partly = Partly, NotSatisfied = NotSatisfied }
}

#[derive(Debug, Clone, Object)]
pub struct TopicRaiseArgs {
    pub id: Uuid,
    /// The building, area or compound; null for the community.
    pub unit_id: Option<Uuid>,
    /// 1 to 80 characters, like `地面停車亂`.
    pub title: String,
    /// At most 2,000 characters.
    pub description: Option<String>,
    pub category: CategoryWire,
}

/// Names a topic.
#[derive(Debug, Clone, Object)]
pub struct TopicRef {
    pub topic_id: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct TopicReferArgs {
    pub topic_id: Uuid,
    /// Refer it up a level instead of onto this level's agenda.
    pub up: Option<bool>,
}

#[derive(Debug, Clone, Object)]
pub struct CommentPostArgs {
    pub id: Uuid,
    pub topic_id: Uuid,
    /// 1 to 1,000 characters.
    pub body: String,
}

#[derive(Debug, Clone, Object)]
pub struct CommentHideArgs {
    pub comment_id: Uuid,
    /// 1 to 200 characters, shown to the author.
    pub reason: String,
}

#[derive(Debug, Clone, Object)]
pub struct DeliberationConfigureArgs {
    /// Null for the community's own rules (and the default of units without theirs).
    pub unit_id: Option<Uuid>,
    /// Supports a topic needs, as a number.
    pub supports_needed: Option<u32>,
    /// Or as a percentage (1 to 100) of the unit's verified residents, at least 3.
    pub supports_percent: Option<u32>,
    pub quorum: Option<QuorumWire>,
}

#[derive(Debug, Clone, Object)]
pub struct InviteeArgs {
    pub resident_id: Uuid,
    pub part: PartWire,
}

#[derive(Debug, Clone, Object)]
pub struct MeetingConveneArgs {
    pub id: Uuid,
    /// The building, area or compound; null for the community's joint meeting.
    pub unit_id: Option<Uuid>,
    /// 1 to 80 characters.
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// 1 to 200 characters.
    pub place: String,
    /// Topics of the unit (or of units inside it), in order.
    #[oai(validator(max_items = 30))]
    pub agenda: Vec<Uuid>,
    /// Invitees besides the default voting members.
    #[oai(validator(max_items = 200))]
    pub invite: Vec<InviteeArgs>,
    /// The unit's rule when absent (more than half by default).
    pub quorum: Option<QuorumWire>,
}

#[derive(Debug, Clone, Object)]
pub struct MeetingInviteArgs {
    pub meeting_id: Uuid,
    pub resident_id: Uuid,
    pub part: PartWire,
}

#[derive(Debug, Clone, Object)]
pub struct MeetingAnswerArgs {
    pub meeting_id: Uuid,
    pub attending: bool,
}

#[derive(Debug, Clone, Object)]
pub struct MeetingCheckInArgs {
    pub meeting_id: Uuid,
    /// An invitee the convener checks in; oneself when absent.
    pub resident_id: Option<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct MeetingCloseArgs {
    pub meeting_id: Uuid,
    /// Called off rather than held.
    pub cancelled: Option<bool>,
}

#[derive(Debug, Clone, Object)]
pub struct MinutesWriteArgs {
    pub meeting_id: Uuid,
    /// The whole text, 1 to 50,000 characters.
    pub text: String,
}

#[derive(Debug, Clone, Object)]
pub struct MinutesApproveArgs {
    pub meeting_id: Uuid,
    /// The revision read and approved.
    pub revision: u32,
}

#[derive(Debug, Clone, Object)]
pub struct MotionProposeArgs {
    pub id: Uuid,
    pub meeting_id: Uuid,
    /// The agenda topic it answers.
    pub topic_id: Option<Uuid>,
    /// 1 to 80 characters: the decision's title if it passes.
    pub title: String,
    /// The text to decide, 1 to 20,000 characters.
    pub text: String,
    /// `majority` when absent; `two_thirds` for a document.
    pub rule: Option<RuleWire>,
    /// A decision in force this one amends.
    pub amends: Option<Uuid>,
    /// A decision in force this one repeals.
    pub repeals: Option<Uuid>,
    /// Adopts `text` as the next version of this document.
    pub document: Option<DocumentKindWire>,
    /// The meeting's day when absent.
    pub effective_on: Option<NaiveDate>,
    /// When the convener reports back.
    pub review_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Object)]
pub struct MotionEditArgs {
    pub motion_id: Uuid,
    pub text: String,
}

#[derive(Debug, Clone, Object)]
pub struct MotionVoteArgs {
    pub motion_id: Uuid,
    pub choice: ChoiceWire,
}

#[derive(Debug, Clone, Object)]
pub struct HandVote {
    pub resident_id: Uuid,
    pub choice: ChoiceWire,
}

#[derive(Debug, Clone, Object)]
pub struct MotionHandsArgs {
    pub motion_id: Uuid,
    #[oai(validator(max_items = 500))]
    pub votes: Vec<HandVote>,
}

/// Names a motion.
#[derive(Debug, Clone, Object)]
pub struct MotionRef {
    pub motion_id: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct TaskOwner {
    pub kind: OwnerKindWire,
    /// The resident or the volunteer group.
    pub id: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct TaskAssignArgs {
    pub id: Uuid,
    pub decision_id: Uuid,
    /// 1 to 80 characters, like `劃停車位`.
    pub title: String,
    pub owner: TaskOwner,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, Object)]
pub struct TaskReportArgs {
    pub task_id: Uuid,
    pub status: TaskStatusWire,
    /// 1 to 200 characters.
    pub note: String,
}

#[derive(Debug, Clone, Object)]
pub struct DecisionReportArgs {
    pub decision_id: Uuid,
    /// 1 to 200 characters.
    pub text: String,
    /// Carried out: residents may rate it.
    pub done: bool,
}

#[derive(Debug, Clone, Object)]
pub struct DecisionRateArgs {
    pub decision_id: Uuid,
    pub rating: RatingWire,
    /// At most 200 characters.
    pub comment: Option<String>,
}

/// One step of a topic's history.
#[derive(Debug, Clone, PartialEq, Object, serde::Serialize, serde::Deserialize)]
pub struct TopicStep {
    /// `raised`, `on_agenda`, `referred_up` or `decided`.
    pub step: String,
    /// The unit it was at after the step; null for the community.
    pub unit_id: Option<Uuid>,
    pub by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct TopicData {
    pub id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub category: CategoryWire,
    pub author_id: Uuid,
    pub author_name: String,
    pub state: TopicStateWire,
    pub supports: u32,
    /// Supports that put it on the agenda.
    pub threshold: u32,
    pub history: Vec<TopicStep>,
    #[oai(skip_serializing_if_is_none)]
    pub decision_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// The caller's own support.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct TopicSupportData {
    pub id: Uuid,
    pub topic_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct CommentData {
    pub id: Uuid,
    pub topic_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    /// The author's position, like `building_leader`, when they hold one.
    #[oai(skip_serializing_if_is_none)]
    pub author_position: Option<String>,
    pub body: String,
    /// Hidden by a holder (only its author and admins receive it): why.
    #[oai(skip_serializing_if_is_none)]
    pub hidden_reason: Option<String>,
    /// The comment this hidden copy withdrew.
    #[oai(skip_serializing_if_is_none)]
    pub replaces: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct MeetingData {
    pub id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub convener_id: Uuid,
    pub convener_name: String,
    pub quorum: QuorumWire,
    pub agenda: Vec<Uuid>,
    pub state: MeetingStateWire,
    /// Voting members invited.
    pub members: u32,
    /// Voting members checked in.
    pub present: u32,
    /// Voting members needed for a quorum.
    pub quorum_needs: u32,
    pub minutes: String,
    pub minutes_revision: u32,
    /// The revision the chair approved; 0 for none.
    pub minutes_approved_revision: u32,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct InvitationData {
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub resident_id: Uuid,
    pub name: String,
    pub part: PartWire,
    pub answer: AnswerWire,
    #[oai(skip_serializing_if_is_none)]
    pub checked_in_at: Option<DateTime<Utc>>,
    /// The meeting's, for an invitee from outside its unit.
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub state: MeetingStateWire,
}

/// A representative's recorded vote.
#[derive(Debug, Clone, PartialEq, Object, serde::Serialize, serde::Deserialize)]
pub struct VoteData {
    pub resident_id: Uuid,
    pub name: String,
    pub choice: ChoiceWire,
    /// Recorded by the chair from a show of hands.
    pub by_hand: bool,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct MotionData {
    pub id: Uuid,
    pub meeting_id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub topic_id: Option<Uuid>,
    pub title: String,
    pub text: String,
    pub rule: RuleWire,
    #[oai(skip_serializing_if_is_none)]
    pub amends: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub repeals: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub document: Option<DocumentKindWire>,
    pub state: MotionStateWire,
    /// Each vote by name, in member id order.
    pub votes: Vec<VoteData>,
    pub agree: u32,
    pub against: u32,
    pub abstain: u32,
    pub absent: u32,
    /// Voting members present when the vote closed.
    pub present: u32,
    pub passed: bool,
    #[oai(skip_serializing_if_is_none)]
    pub decision_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct DecisionData {
    pub id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    pub meeting_id: Uuid,
    pub motion_id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub topic_id: Option<Uuid>,
    pub convener_id: Uuid,
    pub title: String,
    pub text: String,
    pub agree: u32,
    pub against: u32,
    pub abstain: u32,
    pub absent: u32,
    pub effective_on: NaiveDate,
    #[oai(skip_serializing_if_is_none)]
    pub review_on: Option<NaiveDate>,
    pub state: DecisionStateWire,
    #[oai(skip_serializing_if_is_none)]
    pub amends: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub repeals: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub superseded_by: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub document: Option<DocumentKindWire>,
    /// The document's version this decision adopted (1, 2, …).
    #[oai(skip_serializing_if_is_none)]
    pub document_version: Option<u32>,
    /// Reported carried out.
    pub done: bool,
    #[oai(skip_serializing_if_is_none)]
    pub report: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub reported_at: Option<DateTime<Utc>>,
    pub satisfied: u32,
    pub partly: u32,
    pub not_satisfied: u32,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct TaskData {
    pub id: Uuid,
    pub decision_id: Uuid,
    pub title: String,
    pub owner_kind: OwnerKindWire,
    pub owner_id: Uuid,
    pub owner_name: String,
    /// Overdue when past and not done (the phone compares with its date).
    pub due_on: NaiveDate,
    pub status: TaskStatusWire,
    /// The latest progress note.
    pub note: String,
    pub updated_at: DateTime<Utc>,
}

/// A rating: the rater's own, and every one for holders over the decision's unit.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct RatingData {
    pub id: Uuid,
    pub decision_id: Uuid,
    pub resident_id: Uuid,
    pub rating: RatingWire,
    pub comment: String,
}

change!(
    /// A topic was raised, supported, put on the agenda, referred or decided.
    TopicChange(TopicData)
);
change!(
    /// The caller supported a topic.
    TopicSupportChange(TopicSupportData)
);
change!(
    /// A comment was posted; `delete` when it was hidden (its author and admins receive a
    /// hidden copy that `replaces` it).
    CommentChange(CommentData)
);
change!(
    /// A meeting was convened, checked into, closed, or its minutes written.
    MeetingChange(MeetingData)
);
change!(
    /// An invitation: the caller's own, or any of a meeting the caller sees.
    InvitationChange(InvitationData)
);
change!(
    /// A motion was put, voted on or closed.
    MotionChange(MotionData)
);
change!(
    /// A decision entered the register or was amended, repealed, reported on or rated.
    DecisionChange(DecisionData)
);
change!(
    /// A task was assigned or reported on.
    TaskChange(TaskData)
);
change!(
    /// A rating was given.
    RatingChange(RatingData)
);
