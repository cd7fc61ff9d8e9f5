//! iCalendar feeds a phone's calendar app can subscribe to.
//!
//! A series becomes one recurring `VEVENT` (its `RRULE`, in its time zone), with `EXDATE`s for
//! cancelled occurrences and an extra `VEVENT` with `RECURRENCE-ID` for each moved or changed
//! one. UIDs are stable (`series-<id>@linli`, `occurrence-<id>@linli`), so calendar apps update
//! events in place rather than duplicating them. Built with the `icalendar` crate.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, Property};

use super::entity::{occurrence_override, series, volunteer_group};
use super::seats::schedule_of;

fn local(t: DateTime<Utc>, tz: Tz) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: t.with_timezone(&tz).naive_local(),
        tzid: tz.name().to_owned(),
    }
}

fn ics_local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y%m%dT%H%M%S").to_string()
}

pub fn series_uid(s: &series::Model) -> String {
    format!("series-{}@linli", s.id)
}

/// The events of one series: the recurring master and one per changed occurrence.
pub fn series_events(
    s: &series::Model,
    group: &volunteer_group::Model,
    overrides: &[occurrence_override::Model],
) -> Vec<Event> {
    let Some(schedule) = schedule_of(s) else {
        return Vec::new();
    };
    let tz = schedule.timezone;
    // A rule that produces no session at all has nothing to show.
    let Some(first) = schedule.first_occurrence() else {
        return Vec::new();
    };
    let start = first.with_timezone(&tz).naive_local();
    let duration = Duration::minutes(i64::from(s.duration_minutes));
    let summary = format!("{} · {}", group.name, s.title);
    let mut master = Event::new();
    master
        .uid(&series_uid(s))
        .timestamp(s.created_at)
        .summary(&summary)
        .starts(CalendarDateTime::WithTimezone {
            date_time: start,
            tzid: tz.name().to_owned(),
        })
        .ends(CalendarDateTime::WithTimezone {
            date_time: start + duration,
            tzid: tz.name().to_owned(),
        })
        .location(if s.location.is_empty() {
            &group.venue
        } else {
            &s.location
        });
    if !s.description.is_empty() {
        master.description(&s.description);
    }
    if let Some(rule) = &s.rrule {
        master.add_property("RRULE", rule);
    }
    let mut events = Vec::new();
    for o in overrides.iter().filter(|o| o.deleted_at.is_none()) {
        if o.cancelled {
            master.append_multi_property(
                Property::new("EXDATE", ics_local(o.original_start, tz))
                    .add_parameter("TZID", tz.name())
                    .done(),
            );
            continue;
        }
        let begins = o.starts_at.unwrap_or(o.original_start);
        let mut moved = Event::new();
        moved
            .uid(&series_uid(s))
            .timestamp(o.created_at)
            .summary(&summary)
            .starts(local(begins, tz))
            .ends(local(begins + duration, tz))
            .location(o.location.as_deref().unwrap_or(if s.location.is_empty() {
                &group.venue
            } else {
                &s.location
            }));
        moved.append_property(
            Property::new("RECURRENCE-ID", ics_local(o.original_start, tz))
                .add_parameter("TZID", tz.name())
                .done(),
        );
        if !o.note.is_empty() {
            moved.description(&o.note);
        }
        events.push(moved.done());
    }
    events.insert(0, master.done());
    events
}

/// One confirmed session of a series the resident does not follow as a whole.
pub fn session_event(
    occurrence_id: uuid::Uuid,
    s: &series::Model,
    group: &volunteer_group::Model,
    begins: DateTime<Utc>,
    location: Option<&str>,
) -> Event {
    let tz = s
        .timezone
        .parse::<Tz>()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    Event::new()
        .uid(&format!("occurrence-{occurrence_id}@linli"))
        .timestamp(s.created_at)
        .summary(&format!("{} · {}", group.name, s.title))
        .starts(local(begins, tz))
        .ends(local(
            begins + Duration::minutes(i64::from(s.duration_minutes)),
            tz,
        ))
        .location(location.unwrap_or(if s.location.is_empty() {
            &group.venue
        } else {
            &s.location
        }))
        .done()
}

pub fn calendar(name: &str, events: Vec<Event>) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    for e in events {
        cal.push(e);
    }
    cal.done().to_string()
}
