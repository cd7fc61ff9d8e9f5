//! Deliberation's tables, as sea-orm entities. The schema is owned by the migrations in
//! `migrations/` (`m20261204_000001` … `m20261204_000003`).

pub mod decision;
pub mod decision_rating;
pub mod decision_task;
pub mod deliberation_rule;
pub mod meeting;
pub mod meeting_invitation;
pub mod minutes_revision;
pub mod motion;
pub mod task_update;
pub mod topic;
pub mod topic_comment;
pub mod topic_support;
