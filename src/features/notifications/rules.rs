//! Notifications' rules as plain functions: what kinds there are, when a delivery may go
//! (quiet hours), how long to wait before trying again, when a reminder is due and which
//! stretch of time each look of the reminder clock covers, the words residents read, and
//! the webhook's signature.
//!
//! Nothing here reads the database or the clock: the outbox, the senders and the reminder
//! clock read, call these, and write.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::domain::FieldError;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum)]
#[oai(rename = "NotificationKind", rename_all = "snake_case")]
pub enum Kind {
    /// A sign-up was confirmed (by a leader's proxy sign-up, or on request).
    SignupConfirmed,
    /// A waitlisted sign-up got a seat.
    SignupPromoted,
    /// A session one signed up for was called off.
    SessionCancelled,
    /// One is invited to a meeting.
    MeetingCalled,
    /// A case one reported moved on.
    CaseStatus,
    /// An urgent announcement to one's building, area, compound, community or group.
    UrgentAnnouncement,
    /// Voting opened in an election one is on the roll of.
    ElectionOpened,
    /// An election one is on the roll of was counted.
    ElectionClosed,
    /// A session or meeting starts in 24 hours or 2 hours.
    Reminder,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Self::SignupConfirmed,
        Self::SignupPromoted,
        Self::SessionCancelled,
        Self::MeetingCalled,
        Self::CaseStatus,
        Self::UrgentAnnouncement,
        Self::ElectionOpened,
        Self::ElectionClosed,
        Self::Reminder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignupConfirmed => "signup_confirmed",
            Self::SignupPromoted => "signup_promoted",
            Self::SessionCancelled => "session_cancelled",
            Self::MeetingCalled => "meeting_called",
            Self::CaseStatus => "case_status",
            Self::UrgentAnnouncement => "urgent_announcement",
            Self::ElectionOpened => "election_opened",
            Self::ElectionClosed => "election_closed",
            Self::Reminder => "reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A channel beside the in-app inbox (which is always on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Web Push to the web app's subscriptions.
    Push,
    /// A text or a call, through the SMS or voice gateway's webhook.
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Self::Push, Self::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Sent,
    /// Tried [`MAX_ATTEMPTS`] times, or refused for good: not tried again.
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }
}

/// How many times a delivery is tried before it is dead-lettered.
pub const MAX_ATTEMPTS: i32 = 8;

/// The wait before try number `attempts + 1`: 5 s, 10 s, 20 s… doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let n = attempts.clamp(1, 20) - 1;
    Duration::seconds((5i64 << n).min(3600))
}

/// A resident's quiet hours: minutes after local midnight, `from` inclusive to `to`
/// exclusive, wrapping midnight when `to <= from` (22:00 to 07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quiet {
    pub from: u16,
    pub to: u16,
}

/// Quiet hours as configured: both ends or neither, each a minute of the day.
pub fn quiet(from: Option<i32>, to: Option<i32>) -> Result<Option<Quiet>, FieldError> {
    match (from, to) {
        (None, None) => Ok(None),
        (Some(f), Some(t)) if (0..1440).contains(&f) && (0..1440).contains(&t) && f != t => {
            Ok(Some(Quiet {
                from: u16::try_from(f).unwrap_or(0),
                to: u16::try_from(t).unwrap_or(0),
            }))
        }
        _ => Err(FieldError::new(
            "quiet_from",
            "quiet hours need both ends, different minutes of the day (0 to 1439)",
        )),
    }
}

impl Quiet {
    fn covers(self, minute: u16) -> bool {
        if self.from < self.to {
            (self.from..self.to).contains(&minute)
        } else {
            minute >= self.from || minute < self.to
        }
    }
}

/// When a delivery made at `now` may go: at once, or when the resident's quiet hours end
/// (in the community's time zone). Urgent notices do not wait.
pub fn deliver_at(now: DateTime<Utc>, quiet: Option<Quiet>, tz: Tz, urgent: bool) -> DateTime<Utc> {
    let Some(q) = quiet.filter(|_| !urgent) else {
        return now;
    };
    let local = now.with_timezone(&tz);
    let minute = u16::try_from(
        local
            .time()
            .signed_duration_since(NaiveTime::MIN)
            .num_minutes(),
    )
    .unwrap_or(0);
    if !q.covers(minute) {
        return now;
    }
    let ends = NaiveTime::from_hms_opt(u32::from(q.to / 60), u32::from(q.to % 60), 0)
        .unwrap_or(NaiveTime::MIN);
    let mut day = local.date_naive();
    if minute >= q.to {
        day = day.succ_opt().unwrap_or(day);
    }
    tz.from_local_datetime(&day.and_time(ends))
        .earliest()
        .map_or(now, |t| t.with_timezone(&Utc))
}

/// How long before a start a reminder goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lead {
    Day,
    TwoHours,
}

impl Lead {
    pub const ALL: [Lead; 2] = [Self::Day, Self::TwoHours];

    pub fn minutes(self) -> i64 {
        match self {
            Self::Day => 24 * 60,
            Self::TwoHours => 120,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::TwoHours => "2h",
        }
    }
}

/// The stretch of start times one look of the reminder clock at `now` covers for `lead`:
/// from where the last look reached (`reached`; `now` on the first look) to `now + lead`.
/// Looks at any increasing moments cover every start after the first look exactly once.
pub fn window(
    lead: Lead,
    reached: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = now + Duration::minutes(lead.minutes());
    let from = reached.unwrap_or(now).min(to);
    (from, to)
}

/// Whether a reminder `lead` before `start` still makes sense at `now` for a sign-up (or
/// invitation) made or confirmed at `since`: it starts in the future, it was confirmed before
/// the reminder's moment (someone who signed up an hour before needs no "tomorrow" note),
/// and a day's reminder is not sent once the two hours' is due.
pub fn reminder_due(
    lead: Lead,
    start: DateTime<Utc>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let moment = start - Duration::minutes(lead.minutes());
    let superseded =
        lead == Lead::Day && now >= start - Duration::minutes(Lead::TwoHours.minutes());
    start > now && since <= moment && !superseded
}

/// A notification's id: the same cause for the same resident is one notification, however
/// often it is produced (a reminder clock in two processes, a replayed push), so phones
/// de-duplicate by id.
pub fn notification_id(subject: Uuid, what: &str, resident: Uuid) -> Uuid {
    let mut name = Vec::with_capacity(64);
    name.extend_from_slice(subject.as_bytes());
    name.extend_from_slice(what.as_bytes());
    Uuid::new_v5(&resident, &name)
}

/// The webhook's signature: HMAC-SHA256 of `{timestamp}.{body}` with the shared secret,
/// hex, sent as `X-Linli-Signature: sha256=<hex>` beside `X-Linli-Timestamp` (the gateway
/// recomputes it and refuses an old timestamp, so a captured call cannot be replayed).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A reminder's words: when (local time), where, and whom to call.
pub fn reminder_text(
    lead: Lead,
    what: &str,
    start: DateTime<Utc>,
    tz: Tz,
    place: &str,
    contact: Option<(&str, &str)>,
) -> (String, String) {
    let when = start.with_timezone(&tz).format("%m月%d日 %H:%M");
    let title = match lead {
        Lead::Day => format!("明天：{what}"),
        Lead::TwoHours => format!("兩小時後：{what}"),
    };
    let mut body = format!("{when}開始");
    if !place.is_empty() {
        body.push_str(&format!("，地點：{place}"));
    }
    body.push('。');
    if let Some((name, phone)) = contact {
        body.push_str(&format!("有事請找{name}，電話 {phone}。"));
    }
    (clip(&title, 80), clip(&body, 500))
}

/// When a session starts, as residents read it.
fn when(start: DateTime<Utc>) -> String {
    start
        .with_timezone(&super::ZONE)
        .format("%m月%d日 %H:%M")
        .to_string()
}

/// A sign-up made for the resident by a leader, confirmed.
pub fn confirmed(what: &str, start: DateTime<Utc>) -> (String, String) {
    (
        clip(&format!("已為您報名：{what}"), 80),
        format!("{}開始，名額已確認。", when(start)),
    )
}

/// A seat came free for a waitlisted resident.
pub fn promoted(what: &str, start: DateTime<Utc>) -> (String, String) {
    (
        clip(&format!("候補轉正：{what}"), 80),
        format!(
            "有人取消，您已從候補轉為確認，{}開始。來不了請在應用裡取消。",
            when(start)
        ),
    )
}

/// A session one signed up for is called off.
pub fn session_cancelled(what: &str, start: DateTime<Utc>) -> (String, String) {
    (
        clip(&format!("活動取消：{what}"), 80),
        format!("{}的這次活動取消了，您的報名已一併取消。", when(start)),
    )
}

/// A meeting one is invited to.
pub fn meeting_called(what: &str, start: DateTime<Utc>, place: &str) -> (String, String) {
    (
        clip(&format!("會議通知：{what}"), 80),
        clip(
            &format!("{}在{place}開會，請回覆是否出席。", when(start)),
            500,
        ),
    )
}

/// A case one reported moved on: the words for its step (`None`: not news to the
/// reporter, such as a handler's internal note). Only the step, never the case's text:
/// texts and pushes pass through other companies' systems.
pub fn case_news(step: &str) -> Option<&'static str> {
    Some(match step {
        "accepted" => "已受理，正在安排。",
        "refused" => "未受理，請在應用裡查看原因。",
        "assigned" => "已派給經辦人。",
        "started" => "經辦人已開始處理。",
        "resolved" => "已辦結，請在應用裡確認是否解決。",
        "reopened" => "已重新辦理。",
        "merged" => "已與同一件事合併辦理。",
        "reply" => "經辦人回覆了您。",
        _ => return None,
    })
}

/// At most `n` characters.
pub fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_hold_a_delivery_until_they_end_unless_urgent() {
        let night = Some(Quiet {
            from: 22 * 60,
            to: 7 * 60,
        });
        // 23:30 in Shanghai waits until 07:00 the next morning; 06:59 until 07:00 that day.
        assert_eq!(
            deliver_at(at("2026-12-03T15:30:00Z"), night, Shanghai, false),
            at("2026-12-03T23:00:00Z")
        );
        assert_eq!(
            deliver_at(at("2026-12-03T22:59:00Z"), night, Shanghai, false),
            at("2026-12-03T23:00:00Z")
        );
        assert_eq!(
            deliver_at(at("2026-12-03T15:30:00Z"), night, Shanghai, true),
            at("2026-12-03T15:30:00Z")
        );
        let noon = at("2026-12-03T04:00:00Z");
        assert_eq!(deliver_at(noon, night, Shanghai, false), noon);
        assert!(quiet(Some(1), None).is_err());
        assert!(quiet(Some(60), Some(60)).is_err());
        assert!(quiet(Some(1440), Some(0)).is_err());
    }

    #[test]
    fn the_backoff_doubles_and_stops_at_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(20), Duration::hours(1));
    }

    #[test]
    fn reminders_go_to_those_who_signed_up_before_their_moment() {
        let start = at("2026-12-05T01:00:00Z");
        let early = at("2026-12-01T00:00:00Z");
        assert!(reminder_due(
            Lead::Day,
            start,
            early,
            at("2026-12-04T01:00:00Z")
        ));
        assert!(!reminder_due(
            Lead::Day,
            start,
            early,
            at("2026-12-04T23:30:00Z")
        ));
        assert!(reminder_due(
            Lead::TwoHours,
            start,
            early,
            at("2026-12-04T23:30:00Z")
        ));
        assert!(!reminder_due(
            Lead::TwoHours,
            start,
            early,
            at("2026-12-05T01:00:00Z")
        ));
        let late = at("2026-12-04T20:00:00Z");
        assert!(!reminder_due(
            Lead::Day,
            start,
            late,
            at("2026-12-04T20:00:01Z")
        ));
        assert!(reminder_due(
            Lead::TwoHours,
            start,
            late,
            at("2026-12-04T23:00:00Z")
        ));
    }

    #[test]
    fn a_reminder_says_when_where_and_whom_to_call() {
        let (title, body) = reminder_text(
            Lead::Day,
            "書法與國畫",
            at("2026-12-05T01:00:00Z"),
            Shanghai,
            "活動中心二樓",
            Some(("孫老師", "13900000001")),
        );
        assert_eq!(title, "明天：書法與國畫");
        assert_eq!(
            body,
            "12月05日 09:00開始，地點：活動中心二樓。有事請找孫老師，電話 13900000001。"
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: python3 -c "import hmac,hashlib;
        // print(hmac.new(b'secret',b'1700000000.{}',hashlib.sha256).hexdigest())"
        assert_eq!(
            signature(b"secret", 1_700_000_000, b"{}"),
            "b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
    }

    proptest! {
        /// Whatever the moments the reminder clock looks at, every start after its first look
        /// falls in exactly one look's window, for each lead.
        #[test]
        fn the_reminder_clock_covers_every_start_exactly_once(
            steps in prop::collection::vec(0i64..7200, 1..40),
            probes in prop::collection::vec(0i64..400_000, 1..30),
        ) {
            let t0 = at("2026-12-01T00:00:00Z");
            for lead in Lead::ALL {
                let mut now = t0;
                let mut reached = None;
                let mut windows = vec![];
                for s in &steps {
                    now += Duration::seconds(*s);
                    let (from, to) = window(lead, reached, now);
                    windows.push((from, to));
                    reached = Some(to);
                }
                let last = reached.unwrap();
                for p in &probes {
                    let start = t0 + Duration::seconds(*p);
                    let hits = windows.iter().filter(|(f, t)| *f < start && start <= *t).count();
                    let inside = start > windows[0].0 && start <= last;
                    prop_assert_eq!(hits, usize::from(inside));
                }
            }
        }

        /// A delivery never goes inside the resident's quiet hours, and waits at most a day.
        #[test]
        fn nothing_goes_in_quiet_hours(
            from in 0u16..1440, to in 0u16..1440, secs in 0i64..(86_400 * 400),
        ) {
            prop_assume!(from != to);
            let q = Quiet { from, to };
            let now = at("2026-01-01T00:00:00Z") + Duration::seconds(secs);
            let t = deliver_at(now, Some(q), Shanghai, false);
            prop_assert!(t >= now && t - now <= Duration::days(1));
            let local = t.with_timezone(&Shanghai).time();
            let minute = u16::try_from(local.signed_duration_since(NaiveTime::MIN).num_minutes()).unwrap();
            prop_assert!(!q.covers(minute), "{now} -> {t}");
        }
    }
}
