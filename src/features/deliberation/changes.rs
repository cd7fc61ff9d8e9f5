//! Rows as the changes a pull (or a push result) carries.

use super::entity::{
    decision, decision_rating, decision_task, meeting, meeting_invitation, motion, topic,
    topic_comment, topic_support,
};
use super::rules::{self, Quorum};
use super::wire::*;
use crate::features::Change;
use crate::sync::wire::ChangeOp;

fn u(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// `Some(data)` for a live row whose stored names all parse; else the change is a delete.
fn put<D>(deleted: bool, data: Option<D>) -> (ChangeOp, Option<D>) {
    let data = data.filter(|_| !deleted);
    (ChangeOp::of(data.is_none()), data)
}

pub fn topic(t: &topic::Model) -> Change {
    let data = (|| {
        Some(TopicData {
            id: t.id,
            unit_id: t.unit_id,
            title: t.title.clone(),
            description: t.description.clone(),
            category: rules::Category::parse(&t.category)?.into(),
            author_id: t.author_id,
            author_name: t.author_name.clone(),
            state: rules::TopicState::parse(&t.state)?.into(),
            supports: u(t.supports),
            threshold: u(t.threshold),
            history: serde_json::from_str(&t.history).unwrap_or_default(),
            decision_id: t.decision_id,
            created_at: t.created_at,
        })
    })();
    let (op, data) = put(t.deleted_at.is_some(), data);
    Change::Topic(TopicChange { id: t.id, op, data })
}

pub fn support(s: &topic_support::Model) -> Change {
    let (op, data) = put(
        s.deleted_at.is_some(),
        Some(TopicSupportData {
            id: s.id,
            topic_id: s.topic_id,
        }),
    );
    Change::TopicSupport(TopicSupportChange { id: s.id, op, data })
}

pub fn comment(c: &topic_comment::Model) -> Change {
    let (op, data) = put(
        c.deleted_at.is_some(),
        Some(CommentData {
            id: c.id,
            topic_id: c.topic_id,
            author_id: c.author_id,
            author_name: c.author_name.clone(),
            author_position: c.author_position.clone(),
            body: c.body.clone(),
            hidden_reason: c.hidden_reason.clone(),
            replaces: c.replaces,
            created_at: c.created_at,
        }),
    );
    Change::Comment(CommentChange { id: c.id, op, data })
}

pub fn meeting_state(s: &str) -> Option<MeetingStateWire> {
    match s {
        "scheduled" => Some(MeetingStateWire::Scheduled),
        "closed" => Some(MeetingStateWire::Closed),
        "cancelled" => Some(MeetingStateWire::Cancelled),
        _ => None,
    }
}

pub fn meeting(m: &meeting::Model) -> Change {
    let data = (|| {
        let quorum = Quorum::parse(&m.quorum)?;
        Some(MeetingData {
            id: m.id,
            unit_id: m.unit_id,
            title: m.title.clone(),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            place: m.place.clone(),
            convener_id: m.convener_id,
            convener_name: m.convener_name.clone(),
            quorum: quorum.into(),
            agenda: serde_json::from_str(&m.agenda).unwrap_or_default(),
            state: meeting_state(&m.state)?,
            members: u(m.members),
            present: u(m.present),
            quorum_needs: rules::quorum_of(quorum, u(m.members)),
            minutes: m.minutes.clone(),
            minutes_revision: u(m.minutes_rev),
            minutes_approved_revision: u(m.minutes_approved_rev),
        })
    })();
    let (op, data) = put(m.deleted_at.is_some(), data);
    Change::Meeting(MeetingChange { id: m.id, op, data })
}

pub fn invitation(i: &meeting_invitation::Model) -> Change {
    let data = (|| {
        Some(InvitationData {
            id: i.id,
            meeting_id: i.meeting_id,
            resident_id: i.resident_id,
            name: i.name.clone(),
            part: rules::Part::parse(&i.part)?.into(),
            answer: rules::Answer::parse(&i.answer)?.into(),
            checked_in_at: i.checked_in_at,
            title: i.title.clone(),
            starts_at: i.starts_at,
            ends_at: i.ends_at,
            place: i.place.clone(),
            state: meeting_state(&i.state)?,
        })
    })();
    let (op, data) = put(i.deleted_at.is_some(), data);
    Change::Invitation(InvitationChange { id: i.id, op, data })
}

pub fn motion(m: &motion::Model) -> Change {
    let data = (|| {
        Some(MotionData {
            id: m.id,
            meeting_id: m.meeting_id,
            topic_id: m.topic_id,
            title: m.title.clone(),
            text: m.text.clone(),
            rule: rules::Rule::parse(&m.rule)?.into(),
            amends: m.amends,
            repeals: m.repeals,
            document: m
                .document_kind
                .as_deref()
                .and_then(rules::DocumentKind::parse)
                .map(Into::into),
            state: if m.state == "open" {
                MotionStateWire::Open
            } else {
                MotionStateWire::Closed
            },
            votes: super::motions::votes_of(m).into_values().collect(),
            agree: u(m.agree),
            against: u(m.against),
            abstain: u(m.abstain),
            absent: u(m.absent),
            present: u(m.present),
            passed: m.passed,
            decision_id: m.decision_id,
        })
    })();
    let (op, data) = put(m.deleted_at.is_some(), data);
    Change::Motion(MotionChange { id: m.id, op, data })
}

pub fn decision(d: &decision::Model) -> Change {
    let data = (|| {
        Some(DecisionData {
            id: d.id,
            unit_id: d.unit_id,
            meeting_id: d.meeting_id,
            motion_id: d.motion_id,
            topic_id: d.topic_id,
            convener_id: d.convener_id,
            title: d.title.clone(),
            text: d.text.clone(),
            agree: u(d.agree),
            against: u(d.against),
            abstain: u(d.abstain),
            absent: u(d.absent),
            effective_on: d.effective_on,
            review_on: d.review_on,
            state: rules::DecisionState::parse(&d.state)?.into(),
            amends: d.amends,
            repeals: d.repeals,
            superseded_by: d.superseded_by,
            document: d
                .document_kind
                .as_deref()
                .and_then(rules::DocumentKind::parse)
                .map(Into::into),
            document_version: d.document_version.map(u),
            done: d.done,
            report: d.report.clone(),
            reported_at: d.reported_at,
            satisfied: u(d.satisfied),
            partly: u(d.partly),
            not_satisfied: u(d.not_satisfied),
        })
    })();
    let (op, data) = put(d.deleted_at.is_some(), data);
    Change::Decision(DecisionChange { id: d.id, op, data })
}

pub fn task(t: &decision_task::Model) -> Change {
    let data = (|| {
        Some(TaskData {
            id: t.id,
            decision_id: t.decision_id,
            title: t.title.clone(),
            owner_kind: if t.owner_kind == "group" {
                OwnerKindWire::Group
            } else {
                OwnerKindWire::Resident
            },
            owner_id: t.owner_id,
            owner_name: t.owner_name.clone(),
            due_on: t.due_on,
            status: rules::TaskStatus::parse(&t.status)?.into(),
            note: t.note.clone(),
            updated_at: t.updated_at,
        })
    })();
    let (op, data) = put(t.deleted_at.is_some(), data);
    Change::Task(TaskChange { id: t.id, op, data })
}

pub fn rating(r: &decision_rating::Model) -> Change {
    let data = (|| {
        Some(RatingData {
            id: r.id,
            decision_id: r.decision_id,
            resident_id: r.resident_id,
            rating: rules::Rating::parse(&r.rating)?.into(),
            comment: r.comment.clone(),
        })
    })();
    let (op, data) = put(r.deleted_at.is_some(), data);
    Change::Rating(RatingChange { id: r.id, op, data })
}
