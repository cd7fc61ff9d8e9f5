//! Announcements' wire types: posting, withdrawing and reading an announcement, and the
//! announcement and its receipt as phones see them.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use super::rules::Importance;
use crate::features::attachments::wire::{PhotoArgs, PhotoData};
use crate::{change, mutation};

mutation!(
    /// Post an announcement (通知公告): to a building, area or compound (`unit_id`), to a
    /// volunteer group (`group_id`), or to the whole community (neither). The committee
    /// over the unit posts there (building leaders in their building, area leaders in their
    /// area, and so on up; the president and vice president anywhere), a group's leaders to
    /// their group, admins anywhere. Sent again with the same id, it is applied once.
    AnnouncementPostMutation(AnnouncementPostArgs)
);

#[derive(Debug, Clone, Object)]
pub struct AnnouncementPostArgs {
    pub id: Uuid,
    /// A building, area or compound; leave out (with `group_id`) for the whole community.
    pub unit_id: Option<Uuid>,
    /// A volunteer group, instead of a unit.
    pub group_id: Option<Uuid>,
    /// 1 to 80 characters: `停水通知`.
    #[oai(validator(min_length = 1, max_length = 80))]
    pub title: String,
    /// 1 to 5,000 characters.
    #[oai(validator(min_length = 1, max_length = 5000))]
    pub body: String,
    /// `normal` unless said otherwise.
    #[oai(default = "normal_importance")]
    pub importance: Importance,
    /// Kept at the top of the board until then (in the future, at most 366 days ahead).
    pub pinned_until: Option<DateTime<Utc>>,
    /// Photos, at most 9; their bytes follow over `PUT /api/v1/attachments/{id}`.
    #[oai(default)]
    pub photos: Vec<PhotoArgs>,
}

fn normal_importance() -> Importance {
    Importance::Normal
}

mutation!(
    /// Withdraw an announcement (its author, the committee over its unit, a group's leaders,
    /// admins): it leaves every phone.
    AnnouncementWithdrawMutation(AnnouncementRef)
);

mutation!(
    /// Say that one has read an announcement (its reader; once is enough: saying it again,
    /// from any of one's phones, changes nothing).
    AnnouncementReadMutation(AnnouncementRef)
);

#[derive(Debug, Clone, Object)]
pub struct AnnouncementRef {
    pub announcement_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct AnnouncementData {
    pub id: Uuid,
    /// The building, area or compound; absent for the community's and a group's.
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub group_id: Option<Uuid>,
    pub author_id: Uuid,
    pub author_name: String,
    /// The position the author posted as, like `building_leader`.
    #[oai(skip_serializing_if_is_none)]
    pub author_position: Option<String>,
    pub title: String,
    pub body: String,
    pub importance: Importance,
    #[oai(skip_serializing_if_is_none)]
    pub pinned_until: Option<DateTime<Utc>>,
    /// Each `pending` until its bytes arrive.
    pub photos: Vec<PhotoData>,
    pub posted_at: DateTime<Utc>,
}

change!(
    /// An announcement to the caller's building, area, compound, community or group (or
    /// one they posted, or hold a position over) was posted, or is gone (withdrawn).
    AnnouncementChange(AnnouncementData)
);

#[derive(Debug, Clone, PartialEq, Object)]
pub struct AnnouncementReadData {
    pub id: Uuid,
    pub announcement_id: Uuid,
    pub resident_id: Uuid,
    pub read_at: DateTime<Utc>,
}

change!(
    /// The caller read an announcement (on this phone or another of theirs).
    AnnouncementReadChange(AnnouncementReadData)
);
