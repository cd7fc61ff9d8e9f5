//! What deliberation holds about one resident (their part of `GET /api/v1/me/export`), and
//! what it lets go of when the resident deletes their account.
//!
//! The export lists the topics they raised, their comments (hidden ones with the reason),
//! the topics they supported, their invitations (answer, check-in), their recorded votes
//! and their ratings.
//!
//! Retention at deletion: the register is the community's record, and a representative's
//! votes were cast in public office, so motions keep the names they were recorded with, as
//! meetings keep their invitees. What goes: their supports and ratings (the counts stay,
//! as counts), and their name on the topics and comments they wrote (shown as `已註銷的居民`,
//! a deleted resident), whose text stays in the threads others answered.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::entity::{
    decision_rating, meeting_invitation, motion, topic, topic_comment, topic_support,
};
use super::motions::votes_of;
use crate::sync::write::bump_version;

/// The name a deleted resident's topics and comments show.
pub const FORGOTTEN: &str = "已註銷的居民";

/// What deliberation holds about the resident.
#[derive(Debug, Object)]
pub struct DeliberationData {
    pub topics_raised: Vec<HeldTopic>,
    pub comments: Vec<HeldComment>,
    /// Topics they support.
    pub supports: Vec<Uuid>,
    pub invitations: Vec<HeldInvitation>,
    pub votes: Vec<HeldVote>,
    pub ratings: Vec<HeldRating>,
}

#[derive(Debug, Object)]
pub struct HeldTopic {
    pub topic_id: Uuid,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct HeldComment {
    pub comment_id: Uuid,
    pub topic_id: Uuid,
    pub body: String,
    #[oai(skip_serializing_if_is_none)]
    pub hidden_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct HeldInvitation {
    pub meeting_id: Uuid,
    pub part: String,
    pub answer: String,
    #[oai(skip_serializing_if_is_none)]
    pub checked_in_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
pub struct HeldVote {
    pub motion_id: Uuid,
    pub choice: String,
    pub by_hand: bool,
}

#[derive(Debug, Object)]
pub struct HeldRating {
    pub decision_id: Uuid,
    pub rating: String,
    pub comment: String,
}

pub async fn held_by(
    conn: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<DeliberationData, DbErr> {
    let topics_raised = topic::Entity::find()
        .filter(topic::Column::AuthorId.eq(resident))
        .filter(topic::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|t| HeldTopic {
            topic_id: t.id,
            title: t.title,
            created_at: t.created_at,
        })
        .collect();
    let comments = topic_comment::Entity::find()
        .filter(topic_comment::Column::AuthorId.eq(resident))
        .filter(topic_comment::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|c| HeldComment {
            comment_id: c.replaces.unwrap_or(c.id),
            topic_id: c.topic_id,
            body: c.body,
            hidden_reason: c.hidden_reason,
            created_at: c.created_at,
        })
        .collect();
    let supports = topic_support::Entity::find()
        .filter(topic_support::Column::ResidentId.eq(resident))
        .filter(topic_support::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.topic_id)
        .collect();
    let invitations: Vec<meeting_invitation::Model> = meeting_invitation::Entity::find()
        .filter(meeting_invitation::Column::ResidentId.eq(resident))
        .all(conn)
        .await?;
    let meetings: Vec<Uuid> = invitations.iter().map(|i| i.meeting_id).collect();
    let votes = motion::Entity::find()
        .filter(motion::Column::MeetingId.is_in(meetings))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|m| {
            votes_of(&m).remove(&resident).map(|v| HeldVote {
                motion_id: m.id,
                choice: super::rules::Choice::from(v.choice).as_str().to_owned(),
                by_hand: v.by_hand,
            })
        })
        .collect();
    let ratings = decision_rating::Entity::find()
        .filter(decision_rating::Column::ResidentId.eq(resident))
        .filter(decision_rating::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|r| HeldRating {
            decision_id: r.decision_id,
            rating: r.rating,
            comment: r.comment,
        })
        .collect();
    Ok(DeliberationData {
        topics_raised,
        comments,
        supports,
        invitations: invitations
            .into_iter()
            .map(|i| HeldInvitation {
                meeting_id: i.meeting_id,
                part: i.part,
                answer: i.answer,
                checked_in_at: i.checked_in_at,
            })
            .collect(),
        votes,
        ratings,
    })
}

/// Lets go of the resident's supports and ratings and of their name on what they wrote,
/// inside the deletion's write transaction; the version written, if any.
pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let supports = topic_support::Entity::find()
        .filter(topic_support::Column::ResidentId.eq(resident))
        .filter(topic_support::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let ratings = decision_rating::Entity::find()
        .filter(decision_rating::Column::ResidentId.eq(resident))
        .filter(decision_rating::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let topics = topic::Entity::find()
        .filter(topic::Column::AuthorId.eq(resident))
        .all(conn)
        .await?;
    let comments = topic_comment::Entity::find()
        .filter(topic_comment::Column::AuthorId.eq(resident))
        .all(conn)
        .await?;
    if supports.is_empty() && ratings.is_empty() && topics.is_empty() && comments.is_empty() {
        return Ok(None);
    }
    let version = bump_version(conn, community).await?;
    for mut s in supports {
        s.deleted_at = Some(now);
        s.version = version;
        topic_support::Entity::update(s.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    for mut r in ratings {
        r.deleted_at = Some(now);
        r.comment = String::new();
        r.version = version;
        decision_rating::Entity::update(r.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    for mut t in topics {
        t.author_name = FORGOTTEN.into();
        t.version = version;
        topic::Entity::update(t.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    for mut c in comments {
        c.author_name = FORGOTTEN.into();
        c.author_position = None;
        c.version = version;
        topic_comment::Entity::update(c.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    Ok(Some(version))
}
