//! The committee's figures, as it reports them for a month or a year: affairs handled (cases
//! resolved) by category and by compound, the median time to resolve, the share resolved
//! late and those open past their due time, satisfaction; disputes mediated, by outcome;
//! and each grid worker's log entries and home visits. [`summarise`] is a plain function
//! over facts (tested alone); [`gather`] reads the facts; [`workbook`] writes the XLSX.
//!
//! Only counts leave the confidential boundary: a mediation contributes its outcome, a
//! dispute case its category and compound, nothing else.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use poem_openapi::Object;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::entity::case_file;
use super::rules::{Category, State};
use crate::features::grid;
use crate::features::mediation::entity::mediation;
use crate::features::mediation::wire::MediationOutcome;
use crate::features::territory::entity::unit;

/// A period of Beijing days: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// A year, or one month of it.
    pub fn of(year: i32, month: Option<u32>) -> Option<Self> {
        match month {
            None => Some(Self {
                from: NaiveDate::from_ymd_opt(year, 1, 1)?,
                to: NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
            }),
            Some(m) => {
                let from = NaiveDate::from_ymd_opt(year, m, 1)?;
                let to = if m == 12 {
                    NaiveDate::from_ymd_opt(year + 1, 1, 1)?
                } else {
                    NaiveDate::from_ymd_opt(year, m + 1, 1)?
                };
                Some(Self { from, to })
            }
        }
    }

    fn start(self, d: NaiveDate) -> DateTime<Utc> {
        Shanghai
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map(|t| t.to_utc())
            .unwrap_or_default()
    }

    pub fn contains(self, t: DateTime<Utc>) -> bool {
        self.start(self.from) <= t && t < self.start(self.to)
    }
}

/// What statistics know of a case.
#[derive(Debug, Clone)]
pub struct CaseFact {
    pub category: Category,
    pub compound: Option<Uuid>,
    pub state: State,
    pub reported_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub rating: Option<u8>,
}

/// What statistics know of a log entry.
#[derive(Debug, Clone)]
pub struct LogFact {
    pub worker: Uuid,
    pub day: NaiveDate,
    pub home_visit: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Object)]
pub struct Count {
    /// A category, a compound's name, an outcome, a worker's name.
    pub name: String,
    pub count: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Object)]
pub struct WorkerFigures {
    pub worker_id: Uuid,
    pub name: String,
    pub log_entries: u32,
    pub home_visits: u32,
}

/// The figures for a period.
#[derive(Debug, Clone, Default, PartialEq, Object)]
pub struct Figures {
    /// `YYYY` or `YYYY-MM`.
    pub period: String,
    /// Cases reported in the period.
    pub reported: u32,
    /// Affairs handled: cases resolved in the period (merged duplicates not counted twice).
    pub resolved: u32,
    pub resolved_by_category: Vec<Count>,
    pub resolved_by_compound: Vec<Count>,
    /// Hours from report to resolution, the median of those resolved in the period.
    #[oai(skip_serializing_if_is_none)]
    pub median_hours_to_resolve: Option<f64>,
    /// Of those resolved in the period, the share resolved after their due time (0 to 1).
    #[oai(skip_serializing_if_is_none)]
    pub share_resolved_late: Option<f64>,
    /// Cases open now and past their due time.
    pub open_overdue: u32,
    /// Satisfaction ratings given to cases resolved in the period: how many, and the mean
    /// (1 to 5).
    pub ratings: u32,
    #[oai(skip_serializing_if_is_none)]
    pub mean_rating: Option<f64>,
    /// Disputes whose mediation closed in the period, by outcome.
    pub disputes_mediated: u32,
    pub mediations_by_outcome: Vec<Count>,
    pub grid_workers: Vec<WorkerFigures>,
}

/// The median of `xs` (none for none).
pub fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

/// The figures of `period` from the facts, at `now`.
#[allow(clippy::too_many_arguments)]
pub fn summarise(
    label: String,
    period: Period,
    now: DateTime<Utc>,
    cases: &[CaseFact],
    mediations: &[(MediationOutcome, Option<DateTime<Utc>>)],
    logs: &[LogFact],
    compound_name: &dyn Fn(Uuid) -> String,
    worker_name: &dyn Fn(Uuid) -> String,
) -> Figures {
    let resolved: Vec<&CaseFact> = cases
        .iter()
        .filter(|c| matches!(c.state, State::Resolved | State::Confirmed))
        .filter(|c| c.resolved_at.is_some_and(|t| period.contains(t)))
        .collect();
    let mut by_category: BTreeMap<Category, u32> = BTreeMap::new();
    let mut by_compound: BTreeMap<String, u32> = BTreeMap::new();
    for c in &resolved {
        *by_category.entry(c.category).or_default() += 1;
        let name = c.compound.map_or_else(|| "社區".to_owned(), compound_name);
        *by_compound.entry(name).or_default() += 1;
    }
    let hours: Vec<f64> = resolved
        .iter()
        .filter_map(|c| {
            c.resolved_at
                .map(|r| (r - c.reported_at).num_seconds() as f64 / 3600.0)
        })
        .collect();
    let late = resolved
        .iter()
        .filter(|c| c.resolved_at.is_some_and(|r| r > c.due_at))
        .count();
    let ratings: Vec<u8> = resolved.iter().filter_map(|c| c.rating).collect();
    let mut outcomes: BTreeMap<&'static str, u32> = BTreeMap::new();
    for (o, closed) in mediations {
        if *o != MediationOutcome::Open && closed.is_some_and(|t| period.contains(t)) {
            *outcomes.entry(o.as_str()).or_default() += 1;
        }
    }
    let mut workers: BTreeMap<Uuid, (u32, u32)> = BTreeMap::new();
    for l in logs
        .iter()
        .filter(|l| period.from <= l.day && l.day < period.to)
    {
        let w = workers.entry(l.worker).or_default();
        w.0 += 1;
        w.1 += u32::from(l.home_visit);
    }
    let count = |m: BTreeMap<String, u32>| {
        m.into_iter()
            .map(|(name, count)| Count { name, count })
            .collect()
    };
    let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
    Figures {
        period: label,
        reported: n(cases
            .iter()
            .filter(|c| period.contains(c.reported_at))
            .count()),
        resolved: n(resolved.len()),
        resolved_by_category: count(
            by_category
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect(),
        ),
        resolved_by_compound: count(by_compound),
        median_hours_to_resolve: median(hours),
        share_resolved_late: (!resolved.is_empty()).then(|| late as f64 / resolved.len() as f64),
        open_overdue: n(cases
            .iter()
            .filter(|c| super::rules::overdue(c.state, c.due_at, now))
            .count()),
        ratings: n(ratings.len()),
        mean_rating: (!ratings.is_empty())
            .then(|| ratings.iter().map(|r| f64::from(*r)).sum::<f64>() / ratings.len() as f64),
        disputes_mediated: outcomes.values().sum(),
        mediations_by_outcome: count(
            outcomes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        ),
        grid_workers: workers
            .into_iter()
            .map(|(id, (entries, visits))| WorkerFigures {
                worker_id: id,
                name: worker_name(id),
                log_entries: entries,
                home_visits: visits,
            })
            .collect(),
    }
}

/// Reads the community's facts and sums up `period`.
pub async fn gather(
    conn: &impl ConnectionTrait,
    community: Uuid,
    label: String,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Figures, DbErr> {
    // Only the columns and rows the figures can use: cases reported or resolved in the
    // period, and those still unresolved (for the overdue count). One query per table.
    let (start, end) = (period.start(period.from), period.start(period.to));
    let in_period = |c: case_file::Column| Condition::all().add(c.gte(start)).add(c.lt(end));
    type CaseRow = (
        String,
        Option<Uuid>,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<i32>,
    );
    let cases: Vec<CaseFact> = case_file::Entity::find()
        .select_only()
        .columns([
            case_file::Column::Category,
            case_file::Column::CompoundId,
            case_file::Column::State,
            case_file::Column::CreatedAt,
            case_file::Column::DueAt,
            case_file::Column::ResolvedAt,
            case_file::Column::Rating,
        ])
        .filter(case_file::Column::CommunityId.eq(community))
        .filter(case_file::Column::DeletedAt.is_null())
        .filter(
            Condition::any()
                .add(in_period(case_file::Column::CreatedAt))
                .add(in_period(case_file::Column::ResolvedAt))
                .add(case_file::Column::ResolvedAt.is_null()),
        )
        .into_tuple::<CaseRow>()
        .all(conn)
        .await?
        .into_iter()
        .filter_map(
            |(category, compound, state, reported_at, due_at, resolved_at, rating)| {
                Some(CaseFact {
                    category: Category::parse(&category)?,
                    compound,
                    state: State::parse(&state)?,
                    reported_at,
                    due_at,
                    resolved_at,
                    rating: rating.and_then(|r| u8::try_from(r).ok()),
                })
            },
        )
        .collect();
    let mediations: Vec<(MediationOutcome, Option<DateTime<Utc>>)> = mediation::Entity::find()
        .select_only()
        .columns([mediation::Column::Outcome, mediation::Column::ClosedAt])
        .filter(mediation::Column::CommunityId.eq(community))
        .filter(mediation::Column::ClosedAt.gte(start))
        .filter(mediation::Column::ClosedAt.lt(end))
        .into_tuple::<(String, Option<DateTime<Utc>>)>()
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|(outcome, closed)| Some((MediationOutcome::parse(&outcome)?, closed)))
        .collect();
    let entries = grid::entity::Entity::find()
        .filter(grid::entity::Column::CommunityId.eq(community))
        .filter(grid::entity::Column::DeletedAt.is_null())
        .filter(grid::entity::Column::Day.gte(period.from))
        .filter(grid::entity::Column::Day.lt(period.to))
        .all(conn)
        .await?;
    let names: BTreeMap<Uuid, String> = entries
        .iter()
        .map(|e| (e.worker_id, e.worker_name.clone()))
        .collect();
    let logs: Vec<LogFact> = entries
        .iter()
        .map(|e| LogFact {
            worker: e.worker_id,
            day: e.day,
            home_visit: e.home_visit,
        })
        .collect();
    let compounds: BTreeMap<Uuid, String> = unit::Entity::find()
        .select_only()
        .columns([unit::Column::Id, unit::Column::Name])
        .filter(unit::Column::CommunityId.eq(community))
        .filter(unit::Column::Kind.eq(crate::domain::territory::UnitKind::Compound.as_str()))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(summarise(
        label,
        period,
        now,
        &cases,
        &mediations,
        &logs,
        &|id| compounds.get(&id).cloned().unwrap_or_default(),
        &|id| names.get(&id).cloned().unwrap_or_default(),
    ))
}

/// The figures as a workbook: a summary sheet, then one sheet per breakdown.
pub fn workbook(f: &Figures) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let summary = book.add_worksheet().set_name("概況 Summary")?;
    let rows: Vec<(&str, String)> = vec![
        ("期間 Period", f.period.clone()),
        ("受理 Reported", f.reported.to_string()),
        ("辦結 Resolved", f.resolved.to_string()),
        (
            "辦結時長中位數（小時） Median hours to resolve",
            f.median_hours_to_resolve
                .map(|h| format!("{h:.1}"))
                .unwrap_or_default(),
        ),
        (
            "逾期辦結比例 Share resolved late",
            f.share_resolved_late
                .map(|s| format!("{:.0}%", s * 100.0))
                .unwrap_or_default(),
        ),
        ("當前逾期 Open overdue", f.open_overdue.to_string()),
        ("評價數 Ratings", f.ratings.to_string()),
        (
            "平均滿意度 Mean rating",
            f.mean_rating.map(|m| format!("{m:.2}")).unwrap_or_default(),
        ),
        (
            "調解糾紛 Disputes mediated",
            f.disputes_mediated.to_string(),
        ),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        let r = u32::try_from(i).unwrap_or(0);
        summary.write_with_format(r, 0, *k, &bold)?;
        summary.write(r, 1, v.as_str())?;
    }
    summary.set_column_width(0, 44)?;
    for (name, counts) in [
        ("分類 By category", &f.resolved_by_category),
        ("小區 By compound", &f.resolved_by_compound),
        ("調解 Mediations", &f.mediations_by_outcome),
    ] {
        let sheet = book.add_worksheet().set_name(name)?;
        sheet.write_with_format(0, 0, "名稱 Name", &bold)?;
        sheet.write_with_format(0, 1, "件數 Count", &bold)?;
        for (i, c) in counts.iter().enumerate() {
            let r = u32::try_from(i + 1).unwrap_or(0);
            sheet.write(r, 0, c.name.as_str())?;
            sheet.write(r, 1, c.count)?;
        }
        sheet.set_column_width(0, 24)?;
    }
    let sheet = book.add_worksheet().set_name("網格員 Grid workers")?;
    for (col, h) in ["網格員 Worker", "日誌 Log entries", "入戶走訪 Home visits"]
        .iter()
        .enumerate()
    {
        sheet.write_with_format(0, u16::try_from(col).unwrap_or(0), *h, &bold)?;
    }
    for (i, w) in f.grid_workers.iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(0);
        sheet.write(r, 0, w.name.as_str())?;
        sheet.write(r, 1, w.log_entries)?;
        sheet.write(r, 2, w.home_visits)?;
    }
    sheet.set_column_width(0, 20)?;
    book.save_to_buffer()
}

/// The label of a period.
pub fn label(year: i32, month: Option<u32>) -> String {
    match month {
        Some(m) => format!("{year}-{m:02}"),
        None => format!("{year}"),
    }
}

/// This year, Beijing time.
pub fn this_year(now: DateTime<Utc>) -> i32 {
    now.with_timezone(&Shanghai).year()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_month_is_beijing_days() {
        let july = Period::of(2026, Some(7)).unwrap();
        // 1 July 00:30 in Beijing is 30 June 16:30 UTC.
        assert!(july.contains(t("2026-06-30T16:30:00Z")));
        assert!(!july.contains(t("2026-06-30T15:59:59Z")));
        assert!(!july.contains(t("2026-07-31T16:00:00Z")));
        assert_eq!(Period::of(2026, Some(13)), None);
        assert_eq!(
            Period::of(2026, Some(12)).unwrap().to,
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn figures_count_what_was_resolved_in_the_period_and_mediations_by_outcome() {
        let period = Period::of(2026, Some(7)).unwrap();
        let at = t("2026-07-04T02:00:00Z");
        let case = |state, hours: i64, due: i64, rating| CaseFact {
            category: Category::Repair,
            compound: None,
            state,
            reported_at: at,
            due_at: at + Duration::hours(due),
            resolved_at: (hours >= 0).then(|| at + Duration::hours(hours)),
            rating,
        };
        let cases = [
            case(State::Confirmed, 10, 24, Some(5)),
            case(State::Resolved, 30, 24, None),
            case(State::Confirmed, 2, 2, Some(3)),
            case(State::Assigned, -1, 1, None),
            case(State::Merged, -1, 1, None),
        ];
        let mediations = [
            (MediationOutcome::Agreed, Some(at)),
            (MediationOutcome::Agreed, Some(at)),
            (MediationOutcome::Failed, Some(at)),
            (MediationOutcome::Open, None),
            (MediationOutcome::Agreed, Some(t("2026-09-01T00:00:00Z"))),
        ];
        let f = summarise(
            "2026-07".into(),
            period,
            at + Duration::days(3),
            &cases,
            &mediations,
            &[],
            &|_| String::new(),
            &|_| String::new(),
        );
        assert_eq!((f.reported, f.resolved), (5, 3));
        assert_eq!(f.median_hours_to_resolve, Some(10.0));
        assert_eq!(f.share_resolved_late, Some(1.0 / 3.0));
        // The assigned one is past due; a merged duplicate is not open.
        assert_eq!(f.open_overdue, 1);
        assert_eq!((f.ratings, f.mean_rating), (2, Some(4.0)));
        assert_eq!(f.disputes_mediated, 3);
        assert_eq!(
            f.mediations_by_outcome,
            [
                Count {
                    name: "agreed".into(),
                    count: 2
                },
                Count {
                    name: "failed".into(),
                    count: 1
                }
            ]
        );
    }

    proptest! {
        /// However the cases fall, the breakdowns add up to the total, the share is a
        /// share, and the median lies between the fastest and the slowest.
        #[test]
        fn breakdowns_add_up(
            cases in proptest::collection::vec((0..7usize, 0..3usize, 0i64..400, 1i64..100, proptest::option::of(1u8..=5)), 0..80),
        ) {
            let period = Period::of(2026, None).unwrap();
            let at = t("2026-03-01T00:00:00Z");
            let compounds = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
            let facts: Vec<CaseFact> = cases.iter().map(|&(cat, comp, hours, due, rating)| CaseFact {
                category: Category::ALL[cat],
                compound: Some(compounds[comp]),
                state: State::Confirmed,
                reported_at: at,
                due_at: at + Duration::hours(due),
                resolved_at: Some(at + Duration::hours(hours)),
                rating,
            }).collect();
            let f = summarise("2026".into(), period, at, &facts, &[], &[], &|u| u.to_string(), &|_| String::new());
            prop_assert_eq!(f.resolved as usize, facts.len());
            prop_assert_eq!(f.resolved_by_category.iter().map(|c| c.count).sum::<u32>(), f.resolved);
            prop_assert_eq!(f.resolved_by_compound.iter().map(|c| c.count).sum::<u32>(), f.resolved);
            if let Some(s) = f.share_resolved_late {
                prop_assert!((0.0..=1.0).contains(&s));
            }
            if let Some(m) = f.median_hours_to_resolve {
                let lo = cases.iter().map(|c| c.2).min().unwrap() as f64;
                let hi = cases.iter().map(|c| c.2).max().unwrap() as f64;
                prop_assert!(lo <= m && m <= hi);
            }
            if let Some(r) = f.mean_rating {
                prop_assert!((1.0..=5.0).contains(&r));
            }
        }
    }
}
