//! # Joint reception days (聯合接訪)
//!
//! The mining company's departments come to the community to answer residents face to face.
//! The committee calls a day ([`desk::create`]) with the departments attending, its slots'
//! length and how many residents each department sees per slot. Residents book a slot with
//! a department, or the help team, a grid worker or a holder books for one without a phone;
//! the sign-up rules of the volunteer schedule decide, unchanged
//! (`schedule::rules::signup::decide` and `promotions`): first come, first served, a full
//! slot's waitlist, the first waiting promoted when someone cancels. Walk-ins are recorded
//! at the door. Each conversation may become a case assigned at once to that department
//! ([`desk::intake`]), which the resident follows like any other.
//!
//! **Who sees what.** A day is public. A booking is its resident's, and is seen by the
//! president's office, the department's liaison and whoever booked it for the resident
//! (keys from `features::cases::rules`), as the REST read does.

pub mod desk;
pub mod entity;
pub mod http;
pub mod wire;

use sea_orm::{DatabaseTransaction, DbErr};

use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use entity::{reception_booking, reception_day};
use wire::*;

/// Feed order within one version, after mediation's.
pub mod rank {
    pub const DAY: u8 = 48;
    pub const BOOKING: u8 = 49;
}

/// Reception days' synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<reception_day::Entity, A>::new(
            "reception_day",
            rank::DAY,
            Audience::Public,
            Encode::Each(desk::day_change),
            |id| Change::ReceptionDay(ReceptionDayChange::gone(id)),
        )),
        Box::new(Table::<reception_booking::Entity, A>::new(
            "booking",
            rank::BOOKING,
            Audience::Personal {
                owner: "owner_id",
                over: &["office_key", "liaison_key", "intake_key"],
            },
            Encode::Each(desk::booking_change),
            |id| Change::Booking(BookingChange::gone(id)),
        )),
    ]
}

handlers! {
    ReceptionCreateMutation = "reception.create" => desk::create;
    ReceptionBookMutation = "reception.book" => desk::book;
    ReceptionCancelMutation = "reception.cancel" => desk::cancel;
    ReceptionWalkInMutation = "reception.walk_in" => desk::walk_in;
    ReceptionIntakeMutation = "reception.intake" => desk::intake;
}
