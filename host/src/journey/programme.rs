//! The programme a council runs, which fixes how long support may last.
//!
//! A plugin may plan support to end earlier, never later: the host computes the
//! programme's end here and drops any timer a plan asks for after it.

use chrono::{Months, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::{ProgrammeKind, Track};

/// The longest support any programme here allows, in months (IPES: 15 + 6).
pub const LONGEST_MONTHS: u32 = 36;

/// A council's programme, with the parameters the programme leaves to the council.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Programme {
    /// Connect to Work: up to 12 months of support out of work, up to 4 months for
    /// someone in work but at risk of losing the job.
    #[default]
    ConnectToWork,
    /// IPES: up to 15 months before a job and up to 6 months of in-work support
    /// after one, 21 months at most in all. (Our reading of "up to 21 months, of which
    /// 6 months in-work support": pre-employment support ends at 15 months.)
    Ipes,
    /// IPS in Primary Care: the council sets the maximum (e.g. 9 months); in-work
    /// support may run on after a job start for `in_work_run_on_months` (0: it does not).
    IpsPrimaryCare {
        max_months: u32,
        #[serde(default)]
        in_work_run_on_months: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidProgramme {
    #[error(
        "programme `ips_primary_care` needs `max_months` from 1 to {LONGEST_MONTHS} (got {0}), e.g. {{\"kind\":\"ips_primary_care\",\"max_months\":9}}"
    )]
    MaxMonths(u32),
    #[error(
        "programme `ips_primary_care` takes `in_work_run_on_months` from 0 to {LONGEST_MONTHS} (got {0})"
    )]
    RunOn(u32),
}

/// What a programme needs to know of a journey to say when its support ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportDates {
    pub track: Track,
    pub started_on: NaiveDate,
    /// The start of the job the participant is in now (not one that has ended).
    pub in_job_since: Option<NaiveDate>,
}

impl Programme {
    pub fn kind(&self) -> ProgrammeKind {
        match self {
            Programme::ConnectToWork => ProgrammeKind::ConnectToWork,
            Programme::Ipes => ProgrammeKind::Ipes,
            Programme::IpsPrimaryCare { .. } => ProgrammeKind::IpsPrimaryCare,
        }
    }

    pub fn validate(&self) -> Result<(), InvalidProgramme> {
        if let Programme::IpsPrimaryCare {
            max_months,
            in_work_run_on_months,
        } = *self
        {
            if !(1..=LONGEST_MONTHS).contains(&max_months) {
                return Err(InvalidProgramme::MaxMonths(max_months));
            }
            if in_work_run_on_months > LONGEST_MONTHS {
                return Err(InvalidProgramme::RunOn(in_work_run_on_months));
            }
        }
        Ok(())
    }

    /// The last day of support the programme allows, or `None` past the calendar.
    pub fn support_ends_on(&self, dates: SupportDates) -> Option<NaiveDate> {
        let after = |from: NaiveDate, months: u32| from.checked_add_months(Months::new(months));
        match *self {
            Programme::ConnectToWork => after(
                dates.started_on,
                match dates.track {
                    Track::OutOfWork => 12,
                    Track::InWorkAtRisk => 4,
                },
            ),
            Programme::Ipes => match dates.in_job_since {
                None => after(dates.started_on, 15),
                Some(job) => Some(after(job, 6)?.min(after(dates.started_on, 21)?)),
            },
            Programme::IpsPrimaryCare {
                max_months,
                in_work_run_on_months,
            } => {
                let end = after(dates.started_on, max_months)?;
                match dates.in_job_since {
                    Some(job) if in_work_run_on_months > 0 => {
                        Some(end.max(after(job, in_work_run_on_months)?))
                    }
                    _ => Some(end),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn dates(track: Track, in_job_since: Option<NaiveDate>) -> SupportDates {
        SupportDates {
            track,
            started_on: d(2026, 1, 5),
            in_job_since,
        }
    }

    #[test]
    fn connect_to_work_allows_twelve_months_out_of_work_and_four_in_work_at_risk() {
        let p = Programme::ConnectToWork;
        assert_eq!(
            p.support_ends_on(dates(Track::OutOfWork, None)),
            Some(d(2027, 1, 5))
        );
        assert_eq!(
            p.support_ends_on(dates(Track::InWorkAtRisk, None)),
            Some(d(2026, 5, 5))
        );
    }

    #[test]
    fn ipes_runs_fifteen_months_before_a_job_and_six_in_work_within_twenty_one() {
        let p = Programme::Ipes;
        assert_eq!(
            p.support_ends_on(dates(Track::OutOfWork, None)),
            Some(d(2027, 4, 5))
        );
        // A job in month 15: six months in work take support to 21 months.
        assert_eq!(
            p.support_ends_on(dates(Track::OutOfWork, Some(d(2027, 4, 5)))),
            Some(d(2027, 10, 5))
        );
        // An early job: six months in work, then support ends.
        assert_eq!(
            p.support_ends_on(dates(Track::OutOfWork, Some(d(2026, 3, 2)))),
            Some(d(2026, 9, 2))
        );
    }

    #[test]
    fn ips_primary_care_ends_at_the_councils_maximum_unless_in_work_support_runs_on() {
        let nine = Programme::IpsPrimaryCare {
            max_months: 9,
            in_work_run_on_months: 0,
        };
        assert_eq!(
            nine.support_ends_on(dates(Track::OutOfWork, Some(d(2026, 8, 3)))),
            Some(d(2026, 10, 5))
        );
        let run_on = Programme::IpsPrimaryCare {
            max_months: 9,
            in_work_run_on_months: 4,
        };
        assert_eq!(
            run_on.support_ends_on(dates(Track::OutOfWork, Some(d(2026, 8, 3)))),
            Some(d(2026, 12, 3))
        );
    }

    #[test]
    fn a_programme_out_of_range_is_refused_with_the_range() {
        let bad = Programme::IpsPrimaryCare {
            max_months: 0,
            in_work_run_on_months: 0,
        };
        let err = bad.validate().expect_err("zero months");
        assert!(err.to_string().contains("1 to 36"), "{err}");
        assert!(Programme::Ipes.validate().is_ok());
        let json: Programme =
            serde_json::from_str(r#"{"kind":"ips_primary_care","max_months":9}"#).expect("parses");
        assert_eq!(
            json,
            Programme::IpsPrimaryCare {
                max_months: 9,
                in_work_run_on_months: 0
            }
        );
    }
}
