//! Reception days' wire types.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::features::cases::rules::Category;
use crate::{change, mutation};

mutation!(
    /// Call a joint reception day (聯合接訪): when, where, the company departments attending,
    /// the slots' length and how many residents each department sees per slot (admins and
    /// the president).
    ReceptionCreateMutation(ReceptionCreateArgs)
);
mutation!(
    /// Book a slot with a department: for oneself, or for a resident without a phone
    /// (`on_behalf_of`: the help team, grid workers, the committee). First come, first
    /// served; a full slot puts one on its waitlist (the sign-up rules).
    ReceptionBookMutation(ReceptionBookArgs)
);
mutation!(
    /// Cancel a booking (its resident, whoever booked it for them, or the staff); the first
    /// on the slot's waitlist takes the place.
    ReceptionCancelMutation(ReceptionCancelArgs)
);
mutation!(
    /// Record a walk-in at the door (the staff: the department's liaison, the help team,
    /// grid workers, the committee).
    ReceptionWalkInMutation(ReceptionWalkInArgs)
);
mutation!(
    /// Turn a booking or walk-in into a case assigned to its department (the department's
    /// liaison, or the staff); the resident follows it like any case.
    ReceptionIntakeMutation(ReceptionIntakeArgs)
);

#[derive(Debug, Clone, Object)]
pub struct ReceptionCreateArgs {
    pub id: Uuid,
    #[oai(validator(min_length = 1, max_length = 80))]
    pub title: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// 5 to 120.
    #[oai(validator(minimum(value = "5"), maximum(value = "120")))]
    pub slot_minutes: u32,
    /// Residents each department sees per slot, 1 to 50.
    #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
    pub capacity: u32,
    /// How many may wait per slot and department (default 5).
    #[oai(validator(maximum(value = "50")))]
    pub waitlist_limit: Option<u32>,
    /// The departments attending, 1 to 12.
    #[oai(validator(min_items = 1, max_items = 12))]
    pub department_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct ReceptionBookArgs {
    pub reception_id: Uuid,
    pub department_id: Uuid,
    /// One of the day's slot starts.
    pub slot_start: DateTime<Utc>,
    /// What one comes about, up to 200 characters.
    #[oai(validator(max_length = 200))]
    pub topic: Option<String>,
    pub on_behalf_of: Option<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct ReceptionCancelArgs {
    pub booking_id: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct ReceptionWalkInArgs {
    pub id: Uuid,
    pub reception_id: Uuid,
    pub department_id: Uuid,
    /// The resident, if they are one.
    pub resident_id: Option<Uuid>,
    /// The name of someone who is not a resident.
    #[oai(validator(max_length = 40))]
    pub name: Option<String>,
    #[oai(validator(max_length = 200))]
    pub topic: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct ReceptionIntakeArgs {
    pub booking_id: Uuid,
    /// The new case's id.
    pub case_id: Uuid,
    pub category: Category,
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub description: String,
}

/// A department at a reception day.
#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct Attending {
    pub department_id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct ReceptionDayData {
    pub id: Uuid,
    pub title: String,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub slot_minutes: u32,
    pub capacity: u32,
    pub waitlist_limit: u32,
    pub departments: Vec<Attending>,
}

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "BookingStatus", rename_all = "snake_case")]
pub enum BookingStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
    /// Recorded at the door.
    WalkIn,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Waitlisted => "waitlisted",
            Self::Cancelled => "cancelled",
            Self::WalkIn => "walk_in",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Confirmed,
            Self::Waitlisted,
            Self::Cancelled,
            Self::WalkIn,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct BookingData {
    pub id: Uuid,
    pub reception_id: Uuid,
    pub department_id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub slot_start: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub resident_id: Option<Uuid>,
    pub name: String,
    pub topic: String,
    pub status: BookingStatus,
    /// The case opened from the conversation.
    #[oai(skip_serializing_if_is_none)]
    pub case_id: Option<Uuid>,
}

change!(
    /// A reception day was called or changed (`put`), or called off.
    ReceptionDayChange(ReceptionDayData)
);
change!(
    /// A booking the caller may see was made or changed (`put`), or is gone.
    BookingChange(BookingData)
);
