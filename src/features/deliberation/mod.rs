//! # Deliberation and decisions: raise a topic, meet, vote, decide, carry out, supervise
//!
//! "有事坐下談、好商量": the committee's charter runs four steps as one (議事、決策、執行、
//! 監督) with residents' representatives throughout. A resident raises a topic for their
//! building, area, compound or the community; neighbours support it until it reaches the
//! unit's threshold (or a holder refers it) and it goes onto that level's agenda, or up a
//! level. A holder convenes a meeting; voting members check in; quorum is counted from
//! them; motions are put and voted on in the open; a passed motion is a decision in the
//! register at once. Tasks carry it out, residents follow them and rate the result, and the
//! convener reports back on its review date. The charter and the meeting rules are
//! documents in the register, each version adopted by a decision.
//!
//! How the pieces fit:
//! - [`wire`]: the mutations phones push and the changes they pull (the contract);
//! - [`topics`]: raising, supporting, referring, comments and hiding them, the units' rules;
//! - [`meetings`]: convening, invitations and answers, check-in, closing, minutes;
//! - [`motions`]: motions, votes (phone and hands), closing a vote into a decision;
//! - [`register`]: tasks and their progress, reporting back, ratings;
//! - [`rules`], as plain functions: reach, thresholds, quorum, passing, the replay of a
//!   motion's votes; [`changes`]: rows as changes; [`entity`]: tables (schema in
//!   `migrations/`); [`http`]: REST reads (topics with their threads, meetings with their
//!   motions, the register); [`export`]: what it holds about a resident.
//!
//! **Who sees what.** Every row carries its reach ([`rules::Reach`]): keys derived from its
//! unit, held by the unit's verified residents ([`rules::room`]) and by holders over the
//! unit and every unit above it ([`rules::bench`]). The community's rows (its register, its
//! charter) are in every resident's room. An invitation is also its invitee's; a rating is
//! its author's and the holders'; a hidden comment is withdrawn (a delete to every phone)
//! and comes back, hidden, to its author and admins only. The same keys decide the REST
//! reads ([`keys_of`]), so the feed and the reads cannot disagree.

pub mod changes;
pub mod entity;
pub mod export;
pub mod http;
pub mod meetings;
pub mod motions;
pub mod register;
pub mod rules;
pub mod topics;
pub mod wire;

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use uuid::Uuid;

use crate::domain::permissions::{Action, Actor, Role, Scope, Target};
use crate::domain::territory::{Place, UnitKind};
use crate::features::territory::{authorize, live_unit};
use crate::features::{App, Change, Ctx, Decision, MutationCode, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use entity::{
    decision, decision_rating, decision_task, meeting, meeting_invitation, motion, topic,
    topic_comment, topic_support,
};
use rules::{Level, Reach};
use wire::*;

/// Feed order within one version, after the elections': a topic before its comments, a
/// meeting before its invitations and motions, a motion before the decision it made.
pub mod rank {
    pub const TOPIC: u8 = 30;
    pub const SUPPORT: u8 = 31;
    pub const COMMENT: u8 = 32;
    pub const MEETING: u8 = 33;
    pub const INVITATION: u8 = 34;
    pub const MOTION: u8 = 35;
    pub const DECISION: u8 = 36;
    pub const TASK: u8 = 37;
    pub const RATING: u8 = 38;
}

/// The reach columns: a unit's residents, and the holders over it and above it.
const REACH: &[&str] = &[
    "room_id",
    "bench_id",
    "area_bench_id",
    "compound_bench_id",
    "desk_id",
];

/// Seen over the reach only (the author of a topic or comment sees it through its unit,
/// and a hidden comment through `author_id`).
const BY_REACH: Audience = Audience::Personal {
    owner: "author_id",
    over: REACH,
};

/// Deliberation's synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<topic::Entity, A>::new(
            "topic",
            rank::TOPIC,
            BY_REACH,
            Encode::Each(changes::topic),
            |id| Change::Topic(TopicChange::gone(id)),
        )),
        Box::new(Table::<topic_support::Entity, A>::new(
            "topic_support",
            rank::SUPPORT,
            Audience::Personal {
                owner: "resident_id",
                over: &[],
            },
            Encode::Each(changes::support),
            |id| Change::TopicSupport(TopicSupportChange::gone(id)),
        )),
        Box::new(Table::<topic_comment::Entity, A>::new(
            "comment",
            rank::COMMENT,
            BY_REACH,
            Encode::Each(changes::comment),
            |id| Change::Comment(CommentChange::gone(id)),
        )),
        Box::new(Table::<meeting::Entity, A>::new(
            "meeting",
            rank::MEETING,
            Audience::Personal {
                owner: "convener_id",
                over: REACH,
            },
            Encode::Each(changes::meeting),
            |id| Change::Meeting(MeetingChange::gone(id)),
        )),
        Box::new(Table::<meeting_invitation::Entity, A>::new(
            "invitation",
            rank::INVITATION,
            Audience::Personal {
                owner: "resident_id",
                over: REACH,
            },
            Encode::Each(changes::invitation),
            |id| Change::Invitation(InvitationChange::gone(id)),
        )),
        Box::new(Table::<motion::Entity, A>::new(
            "motion",
            rank::MOTION,
            Audience::Personal {
                owner: "proposed_by",
                over: REACH,
            },
            Encode::Each(changes::motion),
            |id| Change::Motion(MotionChange::gone(id)),
        )),
        Box::new(Table::<decision::Entity, A>::new(
            "decision",
            rank::DECISION,
            Audience::Personal {
                owner: "convener_id",
                over: REACH,
            },
            Encode::Each(changes::decision),
            |id| Change::Decision(DecisionChange::gone(id)),
        )),
        Box::new(Table::<decision_task::Entity, A>::new(
            "task",
            rank::TASK,
            Audience::Personal {
                owner: "owner_id",
                over: REACH,
            },
            Encode::Each(changes::task),
            |id| Change::Task(TaskChange::gone(id)),
        )),
        Box::new(Table::<decision_rating::Entity, A>::new(
            "rating",
            rank::RATING,
            Audience::Personal {
                owner: "resident_id",
                over: &["bench_id", "area_bench_id", "compound_bench_id", "desk_id"],
            },
            Encode::Each(changes::rating),
            |id| Change::Rating(RatingChange::gone(id)),
        )),
    ]
}

/// A row carrying its reach in the five reach columns.
pub trait Reached {
    fn reach(&self) -> Reach;
}

macro_rules! reached {
    ($($m:path),*) => {$(
        impl Reached for $m {
            fn reach(&self) -> Reach {
                Reach {
                    room_id: self.room_id,
                    bench_id: self.bench_id,
                    area_bench_id: self.area_bench_id,
                    compound_bench_id: self.compound_bench_id,
                    desk_id: self.desk_id,
                }
            }
        }
    )*};
}

reached!(
    topic::Model,
    meeting::Model,
    meeting_invitation::Model,
    motion::Model,
    decision::Model,
    decision_task::Model,
    decision_rating::Model
);

/// The keys an actor's phone holds: the community's room (every resident), the rooms of
/// the units they live in, and the benches of the units they hold a position over (or the
/// community's, for a community-wide position).
pub fn keys_of(actor: &Actor) -> BTreeSet<Uuid> {
    sees_over(actor).collect()
}

/// What deliberation's roles see (see [`keys_of`]).
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    std::iter::once(rules::room(actor.community_id)).chain(actor.grants.iter().filter_map(
        |g| match (g.role, g.scope) {
            (Role::Householder, Scope::Unit(u)) => Some(rules::room(u)),
            (Role::Holds(_), Scope::Unit(u) | Scope::Community(u)) => Some(rules::bench(u)),
            _ => None,
        },
    ))
}

/// Whether the actor sees a row with this reach (admins see all), for REST reads.
pub fn sees(actor: &Actor, reach: &Reach) -> bool {
    actor.is_admin_of(actor.community_id) || reach.seen_with(&keys_of(actor))
}

/// Whether the actor is a verified resident of the level (living in the unit, or anywhere
/// in the community for the community's level).
pub fn lives_in(actor: &Actor, level: &Level) -> bool {
    actor
        .grants
        .iter()
        .any(|g| match (g.role, g.scope, level.unit) {
            (Role::Householder, Scope::Unit(u), Some(unit)) => u == unit,
            (Role::Householder, _, None) => true,
            _ => false,
        })
}

/// A unit of the actor's community where topics and meetings can be (a building, area or
/// compound) with the units above it, and where it is for the permission rule; the
/// community's level for `None`. `None` when there is no such unit.
pub(crate) async fn level_of(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    unit: Option<Uuid>,
) -> Result<Option<(Level, Target)>, DbErr> {
    let Some(id) = unit else {
        return Ok(Some((
            Level::default(),
            Target::Community {
                id: actor.community_id,
            },
        )));
    };
    let Some(first) = live_unit(conn, actor, id).await? else {
        return Ok(None);
    };
    if UnitKind::parse(&first.kind).is_none_or(|k| k == UnitKind::Cell) {
        return Ok(None);
    }
    let mut level = Level {
        unit: Some(id),
        ..Level::default()
    };
    let mut place = Place {
        cell: first.cell_id,
        ..Place::default()
    };
    let mut next = Some(first);
    while let Some(u) = next {
        match UnitKind::parse(&u.kind) {
            Some(UnitKind::Building) => place.building = Some(u.id),
            Some(UnitKind::Area) => {
                place.area = Some(u.id);
                level.area = Some(u.id);
            }
            Some(UnitKind::Compound) => {
                place.compound = Some(u.id);
                level.compound = Some(u.id);
            }
            _ => {}
        }
        next = match u.parent_id {
            Some(p) => live_unit(conn, actor, p).await?,
            None => None,
        };
    }
    Ok(Some((
        level,
        Target::Place {
            community_id: actor.community_id,
            place,
        },
    )))
}

/// The level stored on a row.
pub(crate) fn level(unit: Option<Uuid>, area: Option<Uuid>, compound: Option<Uuid>) -> Level {
    Level {
        unit,
        area,
        compound,
    }
}

/// The committee's power over a level: convening, referring, hiding, assigning.
pub(crate) async fn convenes(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    lvl: Level,
) -> Result<Decision<()>, DbErr> {
    let Some((_, target)) = level_of(conn, ctx.actor, lvl.unit).await? else {
        return Ok(Err(Box::new(not_found("no such unit"))));
    };
    Ok(authorize(ctx.actor, Action::Convene, target))
}

pub(crate) fn not_found(what: &str) -> Outcome {
    Outcome::rejected(MutationCode::NotFound, what.to_owned(), None)
}

pub(crate) fn refused(code: MutationCode, why: impl Into<String>, now: Option<Change>) -> Outcome {
    Outcome::rejected(code, why.into(), now)
}

/// The actor's name as residents see it.
pub(crate) async fn name_of(conn: &impl ConnectionTrait, actor: &Actor) -> Result<String, DbErr> {
    use sea_orm::EntityTrait;
    Ok(
        crate::entity::resident::Entity::find_by_id(actor.resident_id)
            .one(conn)
            .await?
            .map(|r| r.display_name)
            .unwrap_or_default(),
    )
}

handlers! {
    TopicRaiseMutation = "topic.raise" => topics::raise;
    TopicSupportMutation = "topic.support" => topics::support;
    TopicReferMutation = "topic.refer" => topics::refer;
    CommentPostMutation = "comment.post" => topics::comment;
    CommentHideMutation = "comment.hide" => topics::hide;
    DeliberationConfigureMutation = "deliberation.configure" => topics::configure;
    MeetingConveneMutation = "meeting.convene" => meetings::convene;
    MeetingInviteMutation = "meeting.invite" => meetings::invite;
    MeetingAnswerMutation = "meeting.answer" => meetings::answer;
    MeetingCheckInMutation = "meeting.check_in" => meetings::check_in;
    MeetingCloseMutation = "meeting.close" => meetings::close;
    MinutesWriteMutation = "minutes.write" => meetings::write_minutes;
    MinutesApproveMutation = "minutes.approve" => meetings::approve_minutes;
    MotionProposeMutation = "motion.propose" => motions::propose;
    MotionEditMutation = "motion.edit" => motions::edit;
    MotionVoteMutation = "motion.vote" => motions::vote;
    MotionHandsMutation = "motion.hands" => motions::hands;
    MotionCloseMutation = "motion.close" => motions::close;
    TaskAssignMutation = "task.assign" => register::assign;
    TaskReportMutation = "task.report" => register::report;
    DecisionReportMutation = "decision.report" => register::report_back;
    DecisionRateMutation = "decision.rate" => register::rate;
}
