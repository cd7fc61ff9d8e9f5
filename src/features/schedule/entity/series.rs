use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub title: String,
    pub description: String,
    pub location: String,
    /// The first occurrence's local start, `YYYY-MM-DDTHH:MM:SS`, in `timezone`.
    pub start_local: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub timezone: String,
    /// RFC 5545 RRULE value (`FREQ=WEEKLY;BYDAY=TU,TH`); `None`: a single occurrence.
    pub rrule: Option<String>,
    pub duration_minutes: i32,
    /// `None`: unlimited.
    pub capacity: Option<i32>,
    /// Sign-ups open this many days before an occurrence; `None`: as soon as it is published.
    pub signup_opens_days_before: Option<i32>,
    /// Sign-ups close this many minutes before an occurrence starts.
    pub signup_closes_minutes_before: i32,
    /// Cancelling is possible until this many minutes before an occurrence starts.
    pub cancel_cutoff_minutes_before: i32,
    /// Most people on one occurrence's waitlist.
    pub waitlist_limit: i32,
    pub notes: String,
    pub clocks: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
