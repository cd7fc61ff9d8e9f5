//! A reception day with its slots and each department's queue, for the staff at the door
//! (the president's office, the department's liaison, those who take intakes): who is
//! booked, who waits, who walked in. Residents see their own bookings through the feed.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::desk::{booking_change, day_change};
use super::entity::{reception_booking as booking, reception_day as day};
use super::wire::{BookingData, ReceptionDayData};
use crate::auth::bearer::BearerAuth;
use crate::features::Change;
use crate::web::Core;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

#[derive(Tags)]
pub enum ReceptionTags {
    /// Joint reception days with the mining company's departments (聯合接訪).
    Reception,
}

pub struct ReceptionApi;

#[derive(Debug, Object)]
pub struct ReceptionView {
    pub day: ReceptionDayData,
    /// The bookings and walk-ins the caller sees, in queue order.
    pub bookings: Vec<BookingData>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ReceptionTags::Reception")]
impl ReceptionApi {
    /// A reception day
    ///
    /// The day (public), with the bookings and walk-ins the caller sees: their own, or, for
    /// the staff, the queues of the departments they stand at (the same keys as the feed).
    #[oai(
        path = "/receptions/:id",
        method = "get",
        operation_id = "getReception"
    )]
    async fn reception(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ReceptionView>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let d = day::Entity::find_by_id(id.0)
            .one(&state.db)
            .await?
            .filter(|d| d.community_id == actor.community_id && d.deleted_at.is_none())
            .ok_or(ApiError::NotFound("reception day"))?;
        let Change::ReceptionDay(c) = day_change(&d) else {
            return Err(ApiError::NotFound("reception day").into());
        };
        let keys: Vec<Uuid> = crate::features::cases::sees_over(&actor).collect();
        let admin = actor.is_admin_of(actor.community_id);
        let bookings = booking::Entity::find()
            .filter(booking::Column::ReceptionId.eq(d.id))
            .filter(booking::Column::DeletedAt.is_null())
            .order_by_asc(booking::Column::SlotStart)
            .order_by_asc(booking::Column::BookedAt)
            .all(&state.db)
            .await?
            .iter()
            .filter(|b| {
                admin
                    || b.owner_id == actor.resident_id
                    || keys.contains(&b.office_key)
                    || keys.contains(&b.liaison_key)
                    || b.intake_key.is_some_and(|k| keys.contains(&k))
            })
            .filter_map(|b| match booking_change(b) {
                Change::Booking(c) => c.data,
                _ => None,
            })
            .collect();
        Ok(Json(ReceptionView {
            day: c.data.ok_or(ApiError::NotFound("reception day"))?,
            bookings,
        }))
    }
}
