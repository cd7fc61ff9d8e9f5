//! The grid's wire types: the log entry mutation and the entry as phones see it.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use super::rules::{Hat, Status};
use crate::features::attachments::wire::{PhotoArgs, PhotoData};
use crate::{change, mutation};

mutation!(
    /// Write an entry in one's daily log (民情工作日誌): what was found in one's cell, what
    /// was done, photos (the cell's grid worker, offline as often as not). Sent again with
    /// the same id, it replaces the entry's text and adds any new photos (the worker, while
    /// no case was opened from it).
    LogWriteMutation(LogWriteArgs)
);

#[derive(Debug, Clone, Object)]
pub struct LogWriteArgs {
    pub id: Uuid,
    /// The grid cell (the worker's).
    pub cell_id: Uuid,
    /// The day of the round, Beijing time: today or up to 31 days back.
    pub day: NaiveDate,
    /// A building of the cell, where it was.
    pub building_id: Option<Uuid>,
    /// The staircase (單元), like `2單元`.
    #[oai(validator(max_length = 20))]
    pub staircase: Option<String>,
    /// Where, in words: `8號樓樓梯口`.
    #[oai(validator(max_length = 200))]
    pub place: Option<String>,
    pub hat: Hat,
    /// What was found, 1 to 2,000 characters.
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub found: String,
    /// What was done about it; at most 2,000 characters.
    #[oai(validator(max_length = 2000))]
    pub done: Option<String>,
    /// A home visit (入户走访).
    #[oai(default)]
    pub home_visit: bool,
    /// `closed` on the spot, or `follow_up`.
    pub status: Status,
    /// Photos taken, at most 9 in all; their bytes follow over `PUT /api/v1/attachments/{id}`.
    #[oai(default)]
    pub photos: Vec<PhotoArgs>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct LogEntryData {
    pub id: Uuid,
    pub cell_id: Uuid,
    pub worker_id: Uuid,
    pub worker_name: String,
    pub day: NaiveDate,
    #[oai(skip_serializing_if_is_none)]
    pub building_id: Option<Uuid>,
    pub staircase: String,
    pub place: String,
    pub hat: Hat,
    pub found: String,
    pub done: String,
    pub home_visit: bool,
    pub status: Status,
    /// The case opened from it, once one is.
    #[oai(skip_serializing_if_is_none)]
    pub case_id: Option<Uuid>,
    /// Each `pending` until its bytes arrive.
    pub photos: Vec<PhotoData>,
    pub created_at: DateTime<Utc>,
}

change!(
    /// A log entry the caller may see (theirs, their cell's, or as president) was written
    /// (`put`), or is gone.
    LogEntryChange(LogEntryData)
);
