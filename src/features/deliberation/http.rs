//! Reads of deliberation for screens without a replica: the topics one sees, a topic with
//! its thread, a meeting with its invitations, motions and minutes' revisions, and the
//! register (decisions with their tasks) with one decision's progress and ratings. Each
//! read decides visibility with the same keys the sync feed uses ([`super::keys_of`]), so
//! a read shows exactly what a phone's replica would hold. Writes go through sync
//! mutations.

use std::collections::{BTreeSet, HashMap};

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::{
    decision, decision_rating, meeting_invitation, minutes_revision, motion, task_update, topic,
    topic_comment, topic_support,
};
use super::rules::Reach;
use super::wire::*;
use super::{Reached, changes, keys_of, meetings, register, topics};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::Actor;
use crate::features::Change;
use crate::features::territory::local_today;
use crate::web::Core;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

/// Deliberation's tag in the API document.
#[derive(Tags)]
pub enum DeliberationTags {
    /// Topics and their threads, meetings and their motions, and the community's register
    /// of decisions with their tasks and ratings (議事、決策、執行、監督).
    Deliberation,
}

pub struct DeliberationApi;

/// A topic with its thread.
#[derive(Debug, Object)]
pub struct TopicThread {
    pub topic: TopicData,
    /// Oldest first. Hidden comments only for their author and admins (with the reason).
    pub comments: Vec<CommentData>,
    /// The caller supports it.
    pub supported: bool,
}

/// A meeting with its invitations, motions and the minutes' revisions.
#[derive(Debug, Object)]
pub struct MeetingView {
    pub meeting: MeetingData,
    pub invitations: Vec<InvitationData>,
    pub motions: Vec<MotionData>,
    pub minutes_revisions: Vec<MinutesRevision>,
}

#[derive(Debug, Object)]
pub struct MinutesRevision {
    pub revision: u32,
    pub text: String,
    pub by_name: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A task, flagged when overdue.
#[derive(Debug, Object)]
pub struct TaskView {
    pub task: TaskData,
    /// Past its due date (Beijing time) and not done.
    pub overdue: bool,
}

/// A decision in the register, with its tasks.
#[derive(Debug, Object)]
pub struct RegisterEntry {
    pub decision: DecisionData,
    pub tasks: Vec<TaskView>,
}

/// One progress update of a task.
#[derive(Debug, Object)]
pub struct TaskUpdateView {
    pub task_id: Uuid,
    pub status: TaskStatusWire,
    pub note: String,
    pub by_name: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A decision with its tasks, their history, and (for the holders over its unit, and the
/// rater) the ratings' comments.
#[derive(Debug, Object)]
pub struct DecisionView {
    pub decision: DecisionData,
    pub tasks: Vec<TaskView>,
    pub updates: Vec<TaskUpdateView>,
    pub ratings: Vec<RatingData>,
}

fn sees(actor: &Actor, keys: &BTreeSet<Uuid>, reach: &Reach) -> bool {
    actor.is_admin_of(actor.community_id) || reach.seen_with(keys)
}

macro_rules! data_of {
    ($($f:ident: $variant:ident => $ty:ty;)*) => {$(
        fn $f(c: Change) -> Option<$ty> {
            match c {
                Change::$variant(x) => x.data,
                _ => None,
            }
        }
    )*};
}

data_of! {
    topic_data: Topic => TopicData;
    comment_data: Comment => CommentData;
    meeting_data: Meeting => MeetingData;
    invitation_data: Invitation => InvitationData;
    motion_data: Motion => MotionData;
    decision_data: Decision => DecisionData;
    task_data: Task => TaskData;
    rating_data: Rating => RatingData;
}

fn tasks_view(
    tasks: &[super::entity::decision_task::Model],
    today: chrono::NaiveDate,
) -> Vec<TaskView> {
    tasks
        .iter()
        .filter_map(|t| {
            Some(TaskView {
                task: task_data(changes::task(t))?,
                overdue: register::overdue(t, today),
            })
        })
        .collect()
}

#[OpenApi(prefix_path = "/api/v1", tag = "DeliberationTags::Deliberation")]
impl DeliberationApi {
    /// Topics
    ///
    /// The topics the caller sees (their units', the community's, and for holders those of
    /// the units they hold over), newest first; `unit_id` narrows to one unit's.
    #[oai(path = "/topics", method = "get", operation_id = "list_topics")]
    async fn topics(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        unit_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<Vec<TopicData>>, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let keys = keys_of(&actor);
        let mut q = topic::Entity::find()
            .filter(topic::Column::CommunityId.eq(actor.community_id))
            .filter(topic::Column::DeletedAt.is_null());
        if let Some(u) = unit_id.0 {
            q = q.filter(topic::Column::UnitId.eq(u));
        }
        let rows = q
            .order_by_desc(topic::Column::CreatedAt)
            .all(&state.db)
            .await?;
        Ok(Json(
            rows.iter()
                .filter(|t| t.author_id == actor.resident_id || sees(&actor, &keys, &t.reach()))
                .filter_map(|t| topic_data(changes::topic(t)))
                .collect(),
        ))
    }

    /// A topic and its thread
    #[oai(path = "/topics/:topic_id", method = "get", operation_id = "get_topic")]
    async fn topic(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        topic_id: Path<Uuid>,
    ) -> ApiResult<Json<TopicThread>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let keys = keys_of(&actor);
        let t = topic::Entity::find_by_id(topic_id.0)
            .one(&state.db)
            .await?
            .filter(|t| t.community_id == actor.community_id && t.deleted_at.is_none())
            .filter(|t| t.author_id == actor.resident_id || sees(&actor, &keys, &t.reach()))
            .ok_or(ApiError::NotFound("topic"))?;
        let admin = actor.is_admin_of(actor.community_id);
        let comments = topic_comment::Entity::find()
            .filter(topic_comment::Column::TopicId.eq(t.id))
            .filter(topic_comment::Column::DeletedAt.is_null())
            .order_by_asc(topic_comment::Column::CreatedAt)
            .order_by_asc(topic_comment::Column::Id)
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|c| c.hidden_reason.is_none() || admin || c.author_id == actor.resident_id)
            .filter_map(|c| comment_data(changes::comment(&c)))
            .collect();
        let supported =
            topic_support::Entity::find_by_id(topics::support_id(t.id, actor.resident_id))
                .one(&state.db)
                .await?
                .is_some_and(|s| s.deleted_at.is_none());
        Ok(Json(TopicThread {
            topic: topic_data(changes::topic(&t)).ok_or(ApiError::NotFound("topic"))?,
            comments,
            supported,
        }))
    }

    /// A meeting
    ///
    /// With its invitations (who, in which part, their answer and check-in), its motions
    /// with every recorded vote, and the minutes' revisions: for the residents of its unit,
    /// the holders over it, and its invitees.
    #[oai(
        path = "/meetings/:meeting_id",
        method = "get",
        operation_id = "get_meeting"
    )]
    async fn meeting(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        meeting_id: Path<Uuid>,
    ) -> ApiResult<Json<MeetingView>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let m = meetings::visible_meeting(&state.db, &actor, meeting_id.0)
            .await?
            .ok_or(ApiError::NotFound("meeting"))?;
        let invitations = meeting_invitation::Entity::find()
            .filter(meeting_invitation::Column::MeetingId.eq(m.id))
            .order_by_asc(meeting_invitation::Column::Name)
            .all(&state.db)
            .await?
            .iter()
            .filter_map(|i| invitation_data(changes::invitation(i)))
            .collect();
        let motions = motion::Entity::find()
            .filter(motion::Column::MeetingId.eq(m.id))
            .filter(motion::Column::DeletedAt.is_null())
            .order_by_asc(motion::Column::CreatedAt)
            .all(&state.db)
            .await?
            .iter()
            .filter_map(|x| motion_data(changes::motion(x)))
            .collect();
        let minutes_revisions = minutes_revision::Entity::find()
            .filter(minutes_revision::Column::MeetingId.eq(m.id))
            .order_by_asc(minutes_revision::Column::Rev)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|r| MinutesRevision {
                revision: u32::try_from(r.rev).unwrap_or(0),
                text: r.text,
                by_name: r.by_name,
                at: r.at,
            })
            .collect();
        Ok(Json(MeetingView {
            meeting: meeting_data(changes::meeting(&m)).ok_or(ApiError::NotFound("meeting"))?,
            invitations,
            motions,
            minutes_revisions,
        }))
    }

    /// The register of decisions
    ///
    /// The decisions the caller sees (the community's, their units', and for holders those
    /// of the units they hold over), newest first, each with its tasks (overdue ones
    /// flagged); `document` lists the versions of the charter or of the meeting rules.
    #[oai(path = "/decisions", method = "get", operation_id = "list_decisions")]
    async fn register(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        document: Query<Option<DocumentKindWire>>,
    ) -> ApiResult<Json<Vec<RegisterEntry>>, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let keys = keys_of(&actor);
        let mut q = decision::Entity::find()
            .filter(decision::Column::CommunityId.eq(actor.community_id))
            .filter(decision::Column::DeletedAt.is_null());
        if let Some(d) = document.0 {
            q = q.filter(
                decision::Column::DocumentKind.eq(super::rules::DocumentKind::from(d).as_str()),
            );
        }
        let rows: Vec<decision::Model> = q
            .order_by_desc(decision::Column::CreatedAt)
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|d| d.convener_id == actor.resident_id || sees(&actor, &keys, &d.reach()))
            .collect();
        let tasks = register::tasks_of(&state.db, rows.iter().map(|d| d.id)).await?;
        let mut by_decision: HashMap<Uuid, Vec<_>> = HashMap::new();
        for t in tasks {
            by_decision.entry(t.decision_id).or_default().push(t);
        }
        let today = local_today(chrono::Utc::now());
        Ok(Json(
            rows.iter()
                .filter_map(|d| {
                    let mut tasks = by_decision.remove(&d.id).unwrap_or_default();
                    tasks.sort_by_key(|t| (t.due_on, t.id));
                    Some(RegisterEntry {
                        decision: decision_data(changes::decision(d))?,
                        tasks: tasks_view(&tasks, today),
                    })
                })
                .collect(),
        ))
    }

    /// A decision: its tasks, their history, and its ratings
    #[oai(
        path = "/decisions/:decision_id",
        method = "get",
        operation_id = "get_decision"
    )]
    async fn decision(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        decision_id: Path<Uuid>,
    ) -> ApiResult<Json<DecisionView>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let keys = keys_of(&actor);
        let d = decision::Entity::find_by_id(decision_id.0)
            .one(&state.db)
            .await?
            .filter(|d| d.community_id == actor.community_id && d.deleted_at.is_none())
            .filter(|d| d.convener_id == actor.resident_id || sees(&actor, &keys, &d.reach()))
            .ok_or(ApiError::NotFound("decision"))?;
        let mut tasks = register::tasks_of(&state.db, [d.id]).await?;
        tasks.sort_by_key(|t| (t.due_on, t.id));
        let updates = task_update::Entity::find()
            .filter(task_update::Column::TaskId.is_in(tasks.iter().map(|t| t.id)))
            .order_by_asc(task_update::Column::At)
            .all(&state.db)
            .await?
            .into_iter()
            .filter_map(|u| {
                Some(TaskUpdateView {
                    task_id: u.task_id,
                    status: super::rules::TaskStatus::parse(&u.status)?.into(),
                    note: u.note,
                    by_name: u.by_name,
                    at: u.at,
                })
            })
            .collect();
        let holder = actor.is_admin_of(actor.community_id) || d.reach().held_with(&keys);
        let ratings = decision_rating::Entity::find()
            .filter(decision_rating::Column::DecisionId.eq(d.id))
            .filter(decision_rating::Column::DeletedAt.is_null())
            .all(&state.db)
            .await?
            .iter()
            .filter(|r| holder || r.resident_id == actor.resident_id)
            .filter_map(|r| rating_data(changes::rating(r)))
            .collect();
        Ok(Json(DecisionView {
            decision: decision_data(changes::decision(&d)).ok_or(ApiError::NotFound("decision"))?,
            tasks: tasks_view(&tasks, local_today(chrono::Utc::now())),
            updates,
            ratings,
        }))
    }
}
