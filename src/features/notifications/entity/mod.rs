//! Notifications' tables, as sea-orm entities. The schema is owned by the migration in
//! `migrations/` (`m20261208_000002_create_notification`).

pub mod notification;
pub mod notification_delivery;
pub mod notification_setting;
pub mod push_subscription;
pub mod reminder_watermark;
