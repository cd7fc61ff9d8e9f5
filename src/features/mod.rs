//! # The capabilities, and the app assembled from them
//!
//! Each capability is a folder: its wire types, mutation handlers, pure rules, tables,
//! REST reads and its own module doc (see `schedule/mod.rs`). This file is where they meet
//! the sync engine: [`sync_app!`](crate::sync_app) assembles the one mutation union, the one
//! change union and the one code enum the OpenAPI document describes (each a single
//! discriminated `oneOf`, so generated SDKs keep one class per kind), and [`App`] tells the
//! engine each capability's tables, roles and visibility.
//!
//! Adding a capability (see the README, "Adding a capability"): its folder, its migrations,
//! and here its lines in `sync_app!` and in [`App`].

/// Declares a capability's mutation handlers: each mutation type's wire name, the function
/// that applies it inside the engine's transaction, and whether it changes roles (then the
/// engine re-reads the author's roles for the push's next mutation). Used in each
/// capability's `mod.rs`, whose scope provides `App`, `Ctx`, `Outcome`, `Handler`,
/// `DatabaseTransaction` and `DbErr`.
macro_rules! handlers {
    ($($ty:ident = $name:literal => $f:path $(, $roles:ident)?;)*) => {
        $(impl Handler<App> for $ty {
            const NAME: &'static str = $name;
            $(const CHANGES_ROLES: bool = handlers!(@$roles);)?
            async fn apply<'a>(
                &'a self,
                txn: &'a DatabaseTransaction,
                ctx: &'a Ctx<'a>,
            ) -> Result<Outcome, DbErr> {
                $f(txn, ctx, &self.args).await
            }
        })*
    };
    (@changes_roles) => { true };
}

pub mod announcements;
pub mod attachments;
pub mod cases;
pub mod crowdfunding;
pub mod deliberation;
pub mod elections;
pub mod grid;
pub mod mediation;
pub mod notifications;
pub mod reception;
pub mod schedule;
pub mod talents;
pub mod territory;

use poem_openapi::Object;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::domain::permissions::{Actor, Grant};
use crate::sync::feed::FeedTable;
use crate::sync::push::{Decided, MutationResult as Result_};
use crate::sync::registry::{MutationStatus, SyncApp};
use crate::sync::scope::SyncScope;
use crate::sync::wire::PushedMutation;
use announcements::wire as annw;
use cases::wire as casew;
use crowdfunding::wire as crowd;
use deliberation::wire as delib;
use elections::wire as elec;
use grid::wire as gridw;
use mediation::wire as medw;
use notifications::wire as notew;
use reception::wire as recw;
use schedule::wire as sched;
use talents::wire as tal;
use territory::wire as terr;

pub use crate::sync::registry::Ctx;

crate::sync_app! {
    /// One offline edit, named by `name`.
    pub enum Mutation {
        "group.create" => GroupCreate(sched::GroupCreateMutation),
        "group.update" => GroupUpdate(sched::GroupUpdateMutation),
        "group.delete" => GroupDelete(sched::GroupDeleteMutation),
        "group.join" => GroupJoin(sched::GroupJoinMutation),
        "group.leave" => GroupLeave(sched::GroupLeaveMutation),
        "member.set_role" => MemberSetRole(sched::MemberSetRoleMutation),
        "series.create" => SeriesCreate(sched::SeriesCreateMutation),
        "series.update" => SeriesUpdate(sched::SeriesUpdateMutation),
        "series.delete" => SeriesDelete(sched::SeriesDeleteMutation),
        "occurrence.override" => OccurrenceOverride(sched::OccurrenceOverrideMutation),
        "occurrence.clear_override" => OccurrenceClearOverride(sched::OccurrenceClearOverrideMutation),
        "signup.request" => SignupRequest(sched::SignupRequestMutation),
        "signup.cancel" => SignupCancel(sched::SignupCancelMutation),
        "attendance.mark" => AttendanceMark(sched::AttendanceMarkMutation),
        "unit.create" => UnitCreate(terr::UnitCreateMutation),
        "unit.rename" => UnitRename(terr::UnitRenameMutation),
        "unit.delete" => UnitDelete(terr::UnitDeleteMutation),
        "cell.create" => CellCreate(terr::CellCreateMutation),
        "cell.assign" => CellAssign(terr::CellAssignMutation),
        "household.create" => HouseholdCreate(terr::HouseholdCreateMutation),
        "residency.claim" => ResidencyClaim(terr::ResidencyClaimMutation),
        "residency.record" => ResidencyRecord(terr::ResidencyRecordMutation),
        "residency.decide" => ResidencyDecide(terr::ResidencyDecideMutation),
        "residency.move_out" => ResidencyMoveOut(terr::ResidencyMoveOutMutation),
        "position.assign" => PositionAssign(terr::PositionAssignMutation),
        "position.end" => PositionEnd(terr::PositionEndMutation),
        "position.show_phone" => PositionShowPhone(terr::PositionShowPhoneMutation),
        "election.create" => ElectionCreate(elec::ElectionCreateMutation),
        "election.cancel" => ElectionCancel(elec::ElectionCancelMutation),
        "candidate.nominate" => CandidateNominate(elec::CandidateNominateMutation),
        "candidate.second" => CandidateSecond(elec::CandidateSecondMutation),
        "candidate.respond" => CandidateRespond(elec::CandidateRespondMutation),
        "ballot.cast" => BallotCast(elec::BallotCastMutation),
        "paper.mark" => PaperMark(elec::PaperMarkMutation),
        "entrustment.record" => EntrustmentRecord(elec::EntrustmentRecordMutation),
        "paper.enter" => PaperEnter(elec::PaperEnterMutation),
        "election.count" => ElectionCount(elec::ElectionCountMutation),
        "topic.raise" => TopicRaise(delib::TopicRaiseMutation),
        "topic.support" => TopicSupport(delib::TopicSupportMutation),
        "topic.refer" => TopicRefer(delib::TopicReferMutation),
        "comment.post" => CommentPost(delib::CommentPostMutation),
        "comment.hide" => CommentHide(delib::CommentHideMutation),
        "deliberation.configure" => DeliberationConfigure(delib::DeliberationConfigureMutation),
        "meeting.convene" => MeetingConvene(delib::MeetingConveneMutation),
        "meeting.invite" => MeetingInvite(delib::MeetingInviteMutation),
        "meeting.answer" => MeetingAnswer(delib::MeetingAnswerMutation),
        "meeting.check_in" => MeetingCheckIn(delib::MeetingCheckInMutation),
        "meeting.close" => MeetingClose(delib::MeetingCloseMutation),
        "minutes.write" => MinutesWrite(delib::MinutesWriteMutation),
        "minutes.approve" => MinutesApprove(delib::MinutesApproveMutation),
        "motion.propose" => MotionPropose(delib::MotionProposeMutation),
        "motion.edit" => MotionEdit(delib::MotionEditMutation),
        "motion.vote" => MotionVote(delib::MotionVoteMutation),
        "motion.hands" => MotionHands(delib::MotionHandsMutation),
        "motion.close" => MotionClose(delib::MotionCloseMutation),
        "task.assign" => TaskAssign(delib::TaskAssignMutation),
        "task.report" => TaskReport(delib::TaskReportMutation),
        "decision.report" => DecisionReport(delib::DecisionReportMutation),
        "decision.rate" => DecisionRate(delib::DecisionRateMutation),
        "log.write" => LogWrite(gridw::LogWriteMutation),
        "department.create" => DepartmentCreate(casew::DepartmentCreateMutation),
        "department.update" => DepartmentUpdate(casew::DepartmentUpdateMutation),
        "cases.configure" => CasesConfigure(casew::CasesConfigureMutation),
        "case.report" => CaseReport(casew::CaseReportMutation),
        "case.accept" => CaseAccept(casew::CaseAcceptMutation),
        "case.refuse" => CaseRefuse(casew::CaseRefuseMutation),
        "case.assign" => CaseAssign(casew::CaseAssignMutation),
        "case.start" => CaseStart(casew::CaseStartMutation),
        "case.resolve" => CaseResolve(casew::CaseResolveMutation),
        "case.confirm" => CaseConfirm(casew::CaseConfirmMutation),
        "case.reopen" => CaseReopen(casew::CaseReopenMutation),
        "case.merge" => CaseMerge(casew::CaseMergeMutation),
        "case.note" => CaseNote(casew::CaseNoteMutation),
        "case.reply" => CaseReply(casew::CaseReplyMutation),
        "mediation.open" => MediationOpen(medw::MediationOpenMutation),
        "mediation.session" => MediationSession(medw::MediationSessionMutation),
        "mediation.agree" => MediationAgree(medw::MediationAgreeMutation),
        "mediation.confirm" => MediationConfirm(medw::MediationConfirmMutation),
        "mediation.follow_up" => MediationFollowUp(medw::MediationFollowUpMutation),
        "mediation.close" => MediationClose(medw::MediationCloseMutation),
        "reception.create" => ReceptionCreate(recw::ReceptionCreateMutation),
        "reception.book" => ReceptionBook(recw::ReceptionBookMutation),
        "reception.cancel" => ReceptionCancel(recw::ReceptionCancelMutation),
        "reception.walk_in" => ReceptionWalkIn(recw::ReceptionWalkInMutation),
        "reception.intake" => ReceptionIntake(recw::ReceptionIntakeMutation),
        "announcement.post" => AnnouncementPost(annw::AnnouncementPostMutation),
        "announcement.withdraw" => AnnouncementWithdraw(annw::AnnouncementWithdrawMutation),
        "announcement.read" => AnnouncementRead(annw::AnnouncementReadMutation),
        "campaign.create" => CampaignCreate(crowd::CampaignCreateMutation),
        "campaign.open" => CampaignOpen(crowd::CampaignOpenMutation),
        "campaign.close" => CampaignClose(crowd::CampaignCloseMutation),
        "campaign.cancel" => CampaignCancel(crowd::CampaignCancelMutation),
        "pledge.make" => PledgeMake(crowd::PledgeMakeMutation),
        "pledge.withdraw" => PledgeWithdraw(crowd::PledgeWithdrawMutation),
        "ledger.receive" => LedgerReceive(crowd::LedgerReceiveMutation),
        "ledger.expense" => LedgerExpense(crowd::LedgerExpenseMutation),
        "ledger.reverse" => LedgerReverse(crowd::LedgerReverseMutation),
        "campaign.rate" => CampaignRate(crowd::CampaignRateMutation),
        "talent.offer" => TalentOffer(tal::TalentOfferMutation),
        "talent.withdraw" => TalentWithdraw(tal::TalentWithdrawMutation),
        "talent.invite" => TalentInvite(tal::TalentInviteMutation),
        "talent.answer" => TalentAnswer(tal::TalentAnswerMutation),
        "notification.read" => NotificationRead(notew::NotificationReadMutation),
        "notifications.configure" => NotificationsConfigure(notew::NotificationsConfigureMutation),
    }
    /// One object's new state, named by `entity`. Apply in order: `put` replaces the object,
    /// `delete` removes it (deleting an unknown id is a no-op).
    pub enum Change {
        "group" => Group(sched::GroupChange),
        "membership" => Membership(sched::MembershipChange),
        "series" => Series(sched::SeriesChange),
        "occurrence_override" => OccurrenceOverride(sched::OccurrenceOverrideChange),
        "signup" => Signup(sched::SignupChange),
        "occurrence_tally" => OccurrenceTally(sched::OccurrenceTallyChange),
        "attendance" => Attendance(sched::AttendanceChange),
        "cell" => Cell(terr::CellChange),
        "unit" => Unit(terr::UnitChange),
        "household" => Household(terr::HouseholdChange),
        "residency" => Residency(terr::ResidencyChange),
        "position" => Position(terr::PositionChange),
        "election" => Election(elec::ElectionChange),
        "candidate" => Candidate(elec::CandidateChange),
        "elector" => Elector(elec::ElectorChange),
        "entrustment" => Entrustment(elec::EntrustmentChange),
        "paper_entry" => PaperEntry(elec::PaperEntryChange),
        "topic" => Topic(delib::TopicChange),
        "topic_support" => TopicSupport(delib::TopicSupportChange),
        "comment" => Comment(delib::CommentChange),
        "meeting" => Meeting(delib::MeetingChange),
        "invitation" => Invitation(delib::InvitationChange),
        "motion" => Motion(delib::MotionChange),
        "decision" => Decision(delib::DecisionChange),
        "task" => Task(delib::TaskChange),
        "rating" => Rating(delib::RatingChange),
        "log_entry" => LogEntry(gridw::LogEntryChange),
        "department" => Department(casew::DepartmentChange),
        "case" => Case(casew::CaseChange),
        "mediation" => Mediation(medw::MediationChange),
        "reception_day" => ReceptionDay(recw::ReceptionDayChange),
        "booking" => Booking(recw::BookingChange),
        "announcement" => Announcement(annw::AnnouncementChange),
        "announcement_read" => AnnouncementRead(annw::AnnouncementReadChange),
        "campaign" => Campaign(crowd::CampaignChange),
        "pledge" => Pledge(crowd::PledgeChange),
        "ledger_entry" => LedgerEntry(crowd::LedgerEntryChange),
        "talent" => Talent(tal::TalentChange),
        "talent_invitation" => TalentInvitation(tal::TalentInvitationChange),
        "notification" => Notification(notew::NotificationChange),
        "notification_setting" => NotificationSetting(notew::NotificationSettingChange),
        "campaign_rating" => CampaignRating(crowd::CampaignRatingChange),
    }
    /// Why a mutation was rejected, or a note on one that was applied.
    pub enum MutationCode {
        /// Sign-ups for this occurrence have not opened yet.
        SignupsNotOpen = "signups_not_open",
        /// Sign-ups for this occurrence have closed.
        SignupsClosed = "signups_closed",
        /// The occurrence is full and so is its waitlist.
        WaitlistFull = "waitlist_full",
        /// Too close to the start to cancel.
        PastCutoff = "past_cutoff",
        /// The occurrence was cancelled or no longer exists.
        OccurrenceCancelled = "occurrence_cancelled",
        /// A unit of this kind with this name is already there (or this flat is a household).
        NameTaken = "name_taken",
        /// The unit still has units, households or holders under it.
        UnitNotEmpty = "unit_not_empty",
        /// The building is in another grid cell: take it out of that one first.
        BuildingInAnotherCell = "building_in_another_cell",
        /// The resident already belongs to a household: move out first.
        AlreadyInHousehold = "already_in_household",
        /// The claim was decided already.
        NotPending = "not_pending",
        /// The residency has ended.
        MovedOut = "moved_out",
        /// The position is held over another kind of unit.
        WrongUnit = "wrong_unit",
        /// Another holder's term of this single-holder position overlaps.
        TermOverlaps = "term_overlaps",
        /// Nominations for this election have closed.
        NominationsClosed = "nominations_closed",
        /// The caller (or the voter named) is not on this election's roll.
        NotOnRoll = "not_on_roll",
        /// The nominee cannot vote in the election's unit, so cannot stand.
        NotEligible = "not_eligible",
        /// This resident is already nominated in this election.
        AlreadyNominated = "already_nominated",
        /// Voting has not opened yet.
        VotingNotOpen = "voting_not_open",
        /// Voting has closed (or the election failed or was called off): the ballot was not counted.
        VotingClosed = "voting_closed",
        /// Voting is still open: paper ballots are entered and counted after the close.
        VotingNotClosed = "voting_not_closed",
        /// This voter has already voted; the first vote stands.
        AlreadyVoted = "already_voted",
        /// A mark on someone not standing in this election.
        NotStanding = "not_standing",
        /// More votes for than seats.
        TooManyChoices = "too_many_choices",
        /// The proxy already holds as many entrustments as the rules allow.
        EntrustmentsFull = "entrustments_full",
        /// This voter has already entrusted someone.
        AlreadyEntrusted = "already_entrusted",
        /// No entrustment of that voter to this proxy is recorded.
        NotEntrusted = "not_entrusted",
        /// This officer already entered this paper sheet, the same way.
        AlreadyEntered = "already_entered",
        /// Applied, but another officer entered this sheet differently: a third entry decides.
        EntriesDiffer = "entries_differ",
        /// Some paper sheets lack a second officer's matching entry.
        EntriesPending = "entries_pending",
        /// More paper ballots than voters marked as voting on paper: spoil the extra ones.
        TooManyPaperBallots = "too_many_paper_ballots",
        /// The election is counted already.
        AlreadyCounted = "already_counted",
        /// The election named was not counted, or left no seat to a second round.
        NoRunoff = "no_runoff",
        /// The caller already supports this topic.
        AlreadySupported = "already_supported",
        /// Only verified residents of the unit may do this (support, rate, raise there).
        OutsideUnit = "outside_unit",
        /// A decision was made on this topic.
        TopicDecided = "topic_decided",
        /// Not enough voting members are checked in: the message states the count.
        NoQuorum = "no_quorum",
        /// The caller (or the member named) is not a voting member of this meeting.
        NotVotingMember = "not_voting_member",
        /// The voting member has not checked in at the meeting.
        NotCheckedIn = "not_checked_in",
        /// The caller (or the resident named) is not invited to this meeting.
        NotInvited = "not_invited",
        /// The meeting is closed or was called off.
        MeetingClosed = "meeting_closed",
        /// The vote on this motion is closed: the vote was not counted.
        MotionClosed = "motion_closed",
        /// Members have voted on this motion's text: put a new motion instead.
        VotingStarted = "voting_started",
        /// A decided motion is final: a decision changes only by a later decision.
        DecisionFinal = "decision_final",
        /// The decision named was amended or repealed already.
        NotInForce = "not_in_force",
        /// A task's owner must be a resident or a volunteer group of this community.
        OwnerOutsideCommunity = "owner_outside_community",
        /// The decision is not reported carried out yet.
        NotDone = "not_done",
        /// The minutes changed since the revision read.
        MinutesChanged = "minutes_changed",
        /// A case was opened from this log entry: it is followed there.
        CaseOpened = "case_opened",
        /// The case was merged into another (`merged_into`): follow that one.
        CaseMerged = "case_merged",
        /// The case is refused or confirmed: final.
        CaseClosed = "case_closed",
        /// The case's state does not allow this step now (the message names the state).
        CaseState = "case_state",
        /// Only a dispute case is mediated.
        NotADispute = "not_a_dispute",
        /// A mediator named does not hold the mediator position today.
        NotAMediator = "not_a_mediator",
        /// There is no agreement to confirm yet.
        NoAgreement = "no_agreement",
        /// Not every party confirmed the agreement (the message names who has not).
        NotConfirmed = "not_confirmed",
        /// The mediation is closed: only follow-ups are recorded.
        MediationClosed = "mediation_closed",
        /// The campaign takes no pledges: a draft, closed or cancelled, or past its deadline.
        CampaignNotOpen = "campaign_not_open",
        /// The campaign cannot move to that state from where it is.
        CampaignState = "campaign_state",
        /// The pledge is already received in the ledger.
        AlreadyReceived = "already_received",
        /// The pledger withdrew this pledge.
        PledgeWithdrawn = "pledge_withdrawn",
        /// An expense larger than the balance, without an overdraft reason.
        Overdraft = "overdraft",
        /// The entry is already reversed (or is itself a reversal).
        AlreadyReversed = "already_reversed",
        /// The activity has started: the answer to its invitation stands.
        ActivityStarted = "activity_started",
    }
}

/// linli's app, as the sync engine sees it.
pub struct App;

impl SyncApp for App {
    type Mutation = Mutation;
    type Change = Change;
    type Code = MutationCode;

    const SCHEMA_VERSION: u32 = 1;
    const MIN_SCHEMA_VERSION: u32 = 1;

    fn tables() -> Vec<Box<dyn FeedTable<Self>>> {
        let mut tables = schedule::tables();
        tables.extend(territory::tables());
        tables.extend(elections::tables());
        tables.extend(deliberation::tables());
        tables.extend(grid::tables());
        tables.extend(cases::tables());
        tables.extend(mediation::tables());
        tables.extend(reception::tables());
        tables.extend(announcements::tables());
        tables.extend(crowdfunding::tables());
        tables.extend(talents::tables());
        tables.extend(notifications::tables());
        tables
    }

    fn scope_of(actor: &Actor) -> SyncScope {
        SyncScope {
            admin: actor.is_admin_of(actor.community_id),
            over: schedule::sees_over(actor)
                .chain(territory::sees_over(actor))
                .chain(elections::sees_over(actor))
                .chain(deliberation::sees_over(actor))
                .chain(grid::sees_over(actor))
                .chain(cases::sees_over(actor))
                .chain(announcements::sees_over(actor))
                .chain(crowdfunding::sees_over(actor))
                .chain(talents::sees_over(actor))
                .collect(),
        }
    }

    async fn grants_of<C: ConnectionTrait>(conn: &C, resident: Uuid) -> Result<Vec<Grant>, DbErr> {
        let mut grants = crate::persistence::roles::grants_of(conn, resident).await?;
        grants.extend(schedule::grants_of(conn, resident).await?);
        grants.extend(territory::grants_of(conn, resident).await?);
        Ok(grants)
    }

    fn entity_of(change: &Change) -> &'static str {
        change.entity()
    }
}

/// What every capability holds about one resident: their part of the data export
/// (`GET /api/v1/me/export`).
#[derive(Debug, Object)]
pub struct HeldByCapabilities {
    /// Volunteer groups, sign-ups, attendance and calendar feeds.
    pub schedule: schedule::export::ScheduleData,
    /// Households lived in (with the name and birth declared) and positions held.
    pub territory: territory::export::TerritoryData,
    /// Entries on elections' rolls (whether and how one voted, never what) and candidacies.
    pub elections: elections::export::ElectionsData,
    /// Topics raised, comments, supports, invitations, recorded votes and ratings.
    pub deliberation: deliberation::export::DeliberationData,
    /// Daily log entries written as a grid worker, and photos uploaded.
    pub grid: grid::export::GridData,
    /// Cases reported by (or for) the resident.
    pub cases: cases::export::CasesData,
    /// Announcements the resident posted, and which they read.
    pub announcements: announcements::export::AnnouncementsData,
    /// Pledges to campaigns (the ledger keeps what was received, as the committee's record).
    pub crowdfunding: crowdfunding::export::CrowdfundingData,
    /// The skills offered, and invitations to lead or help (received or sent).
    pub talents: talents::export::TalentsData,
    /// The in-app inbox, channels and quiet hours, and how many browsers get Web Push.
    pub notifications: notifications::export::NotificationsData,
}

/// Reads what every capability holds about `resident`.
pub async fn held_by(
    conn: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<HeldByCapabilities, DbErr> {
    Ok(HeldByCapabilities {
        schedule: schedule::export::held_by(conn, resident).await?,
        territory: territory::export::held_by(conn, resident).await?,
        elections: elections::export::held_by(conn, resident).await?,
        deliberation: deliberation::export::held_by(conn, resident).await?,
        grid: grid::export::held_by(conn, resident).await?,
        cases: cases::export::held_by(conn, resident).await?,
        announcements: announcements::export::held_by(conn, resident).await?,
        crowdfunding: crowdfunding::export::held_by(conn, resident).await?,
        talents: talents::export::held_by(conn, resident).await?,
        notifications: notifications::export::held_by(conn, resident).await?,
    })
}

/// Whether the actor sees the object a photo belongs to: its capability's answer, the same
/// as its sync feed's.
pub async fn owner_sees(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    kind: attachments::OwnerKind,
    owner: Uuid,
) -> Result<bool, DbErr> {
    use sea_orm::EntityTrait;
    Ok(match kind {
        attachments::OwnerKind::LogEntry => grid::entity::Entity::find_by_id(owner)
            .one(conn)
            .await?
            .is_some_and(|e| e.deleted_at.is_none() && grid::sees(actor, &e)),
        attachments::OwnerKind::Case => cases::entity::case_file::Entity::find_by_id(owner)
            .one(conn)
            .await?
            .is_some_and(|c| cases::sees(actor, &c)),
        attachments::OwnerKind::Announcement => {
            announcements::entity::announcement::Entity::find_by_id(owner)
                .one(conn)
                .await?
                .is_some_and(|a| a.deleted_at.is_none() && announcements::sees(actor, &a))
        }
        // Campaigns and their ledgers are public in the community.
        attachments::OwnerKind::Campaign => {
            crowdfunding::entity::campaign::Entity::find_by_id(owner)
                .one(conn)
                .await?
                .is_some_and(|c| c.community_id == actor.community_id && c.deleted_at.is_none())
        }
        attachments::OwnerKind::LedgerEntry => {
            crowdfunding::entity::ledger_entry::Entity::find_by_id(owner)
                .one(conn)
                .await?
                .is_some_and(|e| e.community_id == actor.community_id)
        }
    })
}

/// One of an object's photos settled: its capability re-stamps the object at `version`, so
/// phones that see it learn which photos are ready.
pub async fn photos_changed(
    conn: &impl ConnectionTrait,
    kind: attachments::OwnerKind,
    owner: Uuid,
    version: i64,
) -> Result<(), DbErr> {
    match kind {
        attachments::OwnerKind::LogEntry => grid::logs::photos_changed(conn, owner, version).await,
        attachments::OwnerKind::Case => cases::handling::photos_changed(conn, owner, version).await,
        attachments::OwnerKind::Announcement => {
            announcements::board::photos_changed(conn, owner, version).await
        }
        attachments::OwnerKind::Campaign => {
            crowdfunding::photos_changed(conn, owner, version).await
        }
        attachments::OwnerKind::LedgerEntry => {
            crowdfunding::ledger::photos_changed(conn, owner, version).await
        }
    }
}

/// What other capabilities add to a resident's calendar feed beside their volunteer
/// sessions: the meetings they are invited to.
pub async fn calendar_events(
    conn: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<Vec<icalendar::Event>, DbErr> {
    deliberation::meetings::calendar_events(conn, resident).await
}

/// What every capability lets go of when `resident` deletes their account, inside the
/// deletion's write transaction; the newest community version written, if any.
pub async fn forget_resident(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, DbErr> {
    let schedule = schedule::forget::forget(conn, community, resident, now).await?;
    let territory = territory::export::forget(conn, community, resident, now).await?;
    let elections = elections::export::forget(conn, community, resident).await?;
    let deliberation = deliberation::export::forget(conn, community, resident, now).await?;
    let cases = cases::export::forget(conn, community, resident).await?;
    let announcements = announcements::export::forget(conn, community, resident, now).await?;
    let crowdfunding = crowdfunding::export::forget(conn, community, resident, now).await?;
    let talents = talents::export::forget(conn, community, resident, now).await?;
    let notifications = notifications::export::forget(conn, community, resident, now).await?;
    Ok(schedule
        .max(territory)
        .max(elections)
        .max(deliberation)
        .max(cases)
        .max(announcements)
        .max(crowdfunding)
        .max(talents)
        .max(notifications))
}

/// A mutation's outcome in this app.
pub type Outcome = crate::sync::registry::Outcome<App>;
/// `Err(outcome)` ends the mutation with that outcome.
pub type Decision<T> = crate::sync::registry::Decision<App, T>;

#[derive(Debug, Clone, Object)]
pub struct MutationResult {
    pub id: u64,
    pub status: MutationStatus,
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<MutationCode>,
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    // The object's state on the server after this mutation (for rejections: as it is now).
    // No doc comment: poem-openapi would wrap the `$ref` in an `allOf`, which generators read
    // as a new type without the discriminator. The struct's docs say it instead.
    #[oai(skip_serializing_if_is_none)]
    pub data: Option<Change>,
}

impl From<Result_<App>> for MutationResult {
    fn from(r: Result_<App>) -> Self {
        Self {
            id: r.id,
            status: r.status,
            code: r.code,
            message: r.message,
            data: r.data,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct PushRequest {
    /// A UUID the app made at installation; bound to the first resident who pushes with it.
    pub client_id: Uuid,
    /// The app's sync schema version (currently 1).
    #[oai(validator(minimum(value = "1")))]
    pub schema_version: u32,
    /// In id order, starting at most at the last acknowledged id + 1. At most 500.
    #[oai(validator(max_items = 500))]
    pub mutations: Vec<PushedMutation<Mutation>>,
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct PushResponse {
    /// One result per mutation sent, in order (re-sent ones get their stored result again).
    pub results: Vec<MutationResult>,
    /// The last mutation id the server has processed for this client.
    pub last_mutation_id: u64,
    /// The server's hybrid logical clock: move the phone's clock to at least this.
    pub server_time: String,
}

impl PushResponse {
    pub fn new(decided: Decided<App>, server_time: String) -> Self {
        Self {
            results: decided.results.into_iter().map(Into::into).collect(),
            last_mutation_id: decided.last_mutation_id,
            server_time,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Opaque; send it with the next pull.
    pub cursor: String,
    /// More changes are waiting: pull again at once.
    pub has_more: bool,
    /// The last of this client's mutations whose effects are included in this pull.
    pub last_mutation_id: u64,
    pub server_time: String,
    pub horizon: crate::sync::wire::SyncHorizon,
}

impl poem_openapi::types::Example for PushRequest {
    fn example() -> Self {
        let group = Uuid::from_u128(0x0193_a0c4_7d2e_7c61_9a57_6b1f_0e2d_4c11);
        Self {
            client_id: Uuid::from_u128(0x0193_a0c4_0000_7000_8000_0000_0000_0001),
            schema_version: 1,
            mutations: vec![
                PushedMutation::Known(Box::new(Mutation::GroupCreate(
                    sched::GroupCreateMutation {
                        id: 1,
                        hlc: "2026-11-29T08:20:37.808Z-0000".into(),
                        args: sched::GroupCreateArgs {
                            id: group,
                            name: "書畫社".into(),
                            kind: Some(sched::GroupKind::CalligraphyPainting),
                            contact_leader_id: None,
                            description: Some(
                                "Calligraphy and painting, Tuesdays and Thursdays".into(),
                            ),
                            venue: Some("Activity room 2".into()),
                            is_open: Some(true),
                        },
                    },
                ))),
                PushedMutation::Known(Box::new(Mutation::GroupJoin(sched::GroupJoinMutation {
                    id: 2,
                    hlc: "2026-11-29T08:20:38.002Z-0000".into(),
                    args: sched::MembershipArgs {
                        group_id: group,
                        resident_id: None,
                    },
                }))),
            ],
        }
    }
}

impl poem_openapi::types::Example for PushResponse {
    fn example() -> Self {
        Self {
            results: vec![MutationResult {
                id: 1,
                status: MutationStatus::Applied,
                code: None,
                message: None,
                data: None,
            }],
            last_mutation_id: 2,
            server_time: "2026-11-29T08:21:00.114Z-0000".into(),
        }
    }
}

impl poem_openapi::types::Example for PullResponse {
    fn example() -> Self {
        Self {
            changes: vec![Change::Group(sched::GroupChange {
                id: Uuid::from_u128(0x0193_a0c4_7d2e_7c61_9a57_6b1f_0e2d_4c11),
                op: crate::sync::wire::ChangeOp::Put,
                data: Some(sched::GroupData {
                    id: Uuid::from_u128(0x0193_a0c4_7d2e_7c61_9a57_6b1f_0e2d_4c11),
                    name: "書畫社".into(),
                    kind: sched::GroupKind::CalligraphyPainting,
                    contact_leader_id: None,
                    description: "Calligraphy and painting, Tuesdays and Thursdays".into(),
                    venue: "Activity room 2".into(),
                    is_open: true,
                    created_at: chrono::DateTime::parse_from_rfc3339("2026-11-29T08:20:37.808Z")
                        .map(|t| t.to_utc())
                        .unwrap_or_default(),
                }),
            })],
            cursor: "eyJmIjoxfQ.c2lnbmF0dXJl".into(),
            has_more: false,
            last_mutation_id: 2,
            server_time: "2026-11-29T08:21:00.114Z-0000".into(),
            horizon: crate::sync::wire::SyncHorizon {
                from: chrono::DateTime::parse_from_rfc3339("2026-10-04T00:00:00Z")
                    .map(|t| t.to_utc())
                    .unwrap_or_default(),
                to: chrono::DateTime::parse_from_rfc3339("2027-02-22T00:00:00Z")
                    .map(|t| t.to_utc())
                    .unwrap_or_default(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::{Example, ToJSON};

    use super::*;
    use crate::sync::public_feed::encode;
    use crate::sync::pull::PullPage;
    use crate::sync::registry::Code;

    #[test]
    fn every_code_is_written_as_the_document_names_it() {
        for code in MutationCode::ALL {
            let wire = code.to_json().unwrap();
            assert_eq!(wire.as_str(), Some(code.as_str()));
            assert_eq!(MutationCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(MutationCode::parse("poster_printed"), None);
    }

    #[test]
    fn only_apps_older_than_the_oldest_served_schema_must_upgrade() {
        use crate::sync::{SyncError, check_schema};
        assert!(matches!(
            check_schema::<App>(App::MIN_SCHEMA_VERSION - 1),
            Err(SyncError::UpgradeRequired { minimum }) if minimum == App::MIN_SCHEMA_VERSION
        ));
        assert!(check_schema::<App>(App::MIN_SCHEMA_VERSION).is_ok());
        assert!(check_schema::<App>(App::SCHEMA_VERSION + 1).is_ok());
    }

    #[test]
    fn every_change_names_a_registered_table_and_every_table_a_change() {
        let tables = crate::sync::feed::Tables::<App>::new(App::tables());
        let mut registered: Vec<&str> = tables.all().map(|t| t.name()).collect();
        let mut carried = Change::ENTITIES.to_vec();
        registered.sort_unstable();
        carried.sort_unstable();
        assert_eq!(registered, carried);
        // A table's delete is a change of that table's entity.
        for table in tables.all() {
            let gone = table.gone(Uuid::nil());
            assert_eq!(App::entity_of(&gone), table.name());
            assert_eq!(gone.id(), Uuid::nil());
        }
    }

    #[test]
    fn a_push_result_leaves_out_an_entity_newer_than_the_app() {
        use crate::sync::feed::{Audience, Encode, Table, Tables};
        use crate::sync::registry::MutationStatus;
        use schedule::{changes, entity::occurrence_tally, rank};
        let tables = Tables::<App>::new(vec![Box::new(
            Table::<occurrence_tally::Entity, App>::new(
                "occurrence_tally",
                rank::TALLY,
                Audience::Public,
                Encode::Each(changes::tally),
                |id| Change::OccurrenceTally(sched::OccurrenceTallyChange::gone(id)),
            )
            .since(2),
        )]);
        let result = || crate::sync::push::MutationResult::<App> {
            id: 1,
            status: MutationStatus::Applied,
            code: Some(MutationCode::ClockAdjusted),
            message: Some("the phone's clock is ahead".into()),
            data: Some(Change::OccurrenceTally(sched::OccurrenceTallyChange::gone(
                Uuid::nil(),
            ))),
        };
        let mut old = result();
        old.downgrade_for(1, &tables);
        assert!(old.data.is_none());
        assert_eq!(old.code, Some(MutationCode::ClockAdjusted));
        let mut new = result();
        new.downgrade_for(2, &tables);
        assert!(new.data.is_some());
        // Every code this build has arrived in schema 1.
        assert!(MutationCode::ALL.iter().all(|c| c.since_schema() == 1));
    }

    #[test]
    fn a_page_is_written_exactly_as_the_contract_describes_it() {
        let mut documented = PullResponse::example();
        // Strings that need escaping, and more than one change.
        documented.cursor = "c\"ur\\sor/游標".into();
        documented.changes.extend(documented.changes.clone());
        let page = PullPage {
            changes: documented.changes.iter().map(encode).collect(),
            cursor: documented.cursor.clone(),
            has_more: documented.has_more,
            last_mutation_id: documented.last_mutation_id,
            server_time: documented.server_time.clone(),
            horizon: documented.horizon,
        };
        let written: serde_json::Value = serde_json::from_slice(&page.to_json()).unwrap();
        assert_eq!(Some(written), documented.to_json());

        let empty = PullPage {
            changes: Vec::new(),
            ..page
        };
        let written: serde_json::Value = serde_json::from_slice(&empty.to_json()).unwrap();
        assert_eq!(written["changes"], serde_json::json!([]));
    }
}
