//! A referral as the service receives it (personal data), and the least of it a
//! policy plugin is shown.

use chrono::{Datelike, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::{Cohort, ReferralFacts, ReferralRoute, Track};

/// A referral: personal data, kept in the journey and never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    pub route: ReferralRoute,
    pub date_of_birth: NaiveDate,
    /// Full UK postcode, e.g. `ST4 1AB`.
    pub postcode: String,
    /// In work but at risk of losing the job (the 4-month track), rather than out of work.
    #[serde(default)]
    pub in_work: bool,
    #[serde(default)]
    pub on_universal_credit: bool,
    #[serde(default)]
    pub known_to_health_services: bool,
    /// Already on another employment programme (e.g. Restart).
    #[serde(default)]
    pub on_other_programme: bool,
    /// Priority cohorts the person identifies with.
    #[serde(default)]
    pub cohorts: Vec<Cohort>,
    /// The person says they have a health condition or disability (self-declared;
    /// no diagnosis is asked for).
    #[serde(default)]
    pub health_condition_or_disability: bool,
}

#[cfg(test)]
impl Referral {
    /// An adult in ST4, out of work, referred by the Jobcentre: for tests.
    pub(crate) fn example() -> Referral {
        Referral {
            route: ReferralRoute::Jobcentre,
            date_of_birth: NaiveDate::from_ymd_opt(1990, 4, 1).unwrap_or_default(),
            postcode: "ST4 1AB".into(),
            in_work: false,
            on_universal_credit: false,
            known_to_health_services: false,
            on_other_programme: false,
            cohorts: Vec::new(),
            health_condition_or_disability: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidReferral {
    #[error(
        "postcode is not a UK postcode: give the full postcode with or without its space, e.g. `ST4 1AB`"
    )]
    Postcode,
    #[error("date_of_birth {0} is after the referral date {1}")]
    BornAfterReferral(NaiveDate, NaiveDate),
    #[error(
        "a correction names at least one of: date_of_birth, postcode, in_work, on_universal_credit, known_to_health_services, on_other_programme, cohorts"
    )]
    EmptyCorrection,
}

/// A referral detail a caseworker may correct (the route it came by is a fact of the
/// referral, not of the person, so it is not among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralField {
    DateOfBirth,
    Postcode,
    InWork,
    OnUniversalCredit,
    KnownToHealthServices,
    OnOtherProgramme,
    Cohorts,
}

/// A correction of a referral's details (the right to rectification): each field given
/// replaces the one held; fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralCorrection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// Full UK postcode, e.g. `ST4 1AB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_work: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_universal_credit: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_to_health_services: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_other_programme: Option<bool>,
    /// The full list of priority cohorts, replacing the one held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohorts: Option<Vec<Cohort>>,
}

impl ReferralCorrection {
    pub fn is_empty(&self) -> bool {
        *self == ReferralCorrection::default()
    }
}

impl Referral {
    pub fn track(&self) -> Track {
        if self.in_work {
            Track::InWorkAtRisk
        } else {
            Track::OutOfWork
        }
    }

    /// The referral with `correction` applied, and the fields whose value changed
    /// (a field given with the value already held is not a change).
    pub fn corrected(&self, correction: &ReferralCorrection) -> (Referral, Vec<ReferralField>) {
        fn put<T: PartialEq + Clone>(
            held: &mut T,
            given: &Option<T>,
            field: ReferralField,
            changed: &mut Vec<ReferralField>,
        ) {
            if let Some(v) = given
                && v != held
            {
                *held = v.clone();
                changed.push(field);
            }
        }
        let c = correction;
        let mut r = self.clone();
        let mut changed = Vec::new();
        put(
            &mut r.date_of_birth,
            &c.date_of_birth,
            ReferralField::DateOfBirth,
            &mut changed,
        );
        put(
            &mut r.postcode,
            &c.postcode,
            ReferralField::Postcode,
            &mut changed,
        );
        put(
            &mut r.in_work,
            &c.in_work,
            ReferralField::InWork,
            &mut changed,
        );
        put(
            &mut r.on_universal_credit,
            &c.on_universal_credit,
            ReferralField::OnUniversalCredit,
            &mut changed,
        );
        put(
            &mut r.known_to_health_services,
            &c.known_to_health_services,
            ReferralField::KnownToHealthServices,
            &mut changed,
        );
        put(
            &mut r.on_other_programme,
            &c.on_other_programme,
            ReferralField::OnOtherProgramme,
            &mut changed,
        );
        put(
            &mut r.cohorts,
            &c.cohorts,
            ReferralField::Cohorts,
            &mut changed,
        );
        (r, changed)
    }

    /// Checks what serde cannot: the postcode's shape and the dates' order.
    pub fn validate(&self, referred_on: NaiveDate) -> Result<(), InvalidReferral> {
        postcode_district(&self.postcode).ok_or(InvalidReferral::Postcode)?;
        if self.date_of_birth > referred_on {
            return Err(InvalidReferral::BornAfterReferral(
                self.date_of_birth,
                referred_on,
            ));
        }
        Ok(())
    }

    /// What the plugin sees: age rather than date of birth, postcode district rather than postcode.
    pub fn facts(&self, as_of: NaiveDate) -> Result<ReferralFacts, InvalidReferral> {
        self.validate(as_of)?;
        Ok(ReferralFacts {
            route: self.route,
            age: age_on(self.date_of_birth, as_of),
            postcode_district: postcode_district(&self.postcode)
                .ok_or(InvalidReferral::Postcode)?,
            in_work: self.in_work,
            on_universal_credit: self.on_universal_credit,
            known_to_health_services: self.known_to_health_services,
            on_other_programme: self.on_other_programme,
            cohorts: self.cohorts.clone(),
            health_condition_or_disability: self.health_condition_or_disability,
        })
    }
}

/// Whole years of age on a date.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The outward code of a UK postcode (`st4 1ab` → `ST4`), or `None` if it is not
/// shaped like one. The inward code is always a digit and two letters.
pub fn postcode_district(postcode: &str) -> Option<String> {
    let compact: String = postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward: Vec<char> = inward.chars().collect();
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1].is_ascii_alphabetic()
        && inward[2].is_ascii_alphabetic();
    let outward_ok = (2..=4).contains(&outward.len())
        && outward.starts_with(|c: char| c.is_ascii_alphabetic())
        && outward.chars().all(|c| c.is_ascii_alphanumeric())
        && outward.chars().any(|c| c.is_ascii_digit());
    (inward_ok && outward_ok).then(|| outward.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn postcode_district_is_the_outward_code() {
        assert_eq!(postcode_district("ST4 1AB").as_deref(), Some("ST4"));
        assert_eq!(postcode_district("st41ab").as_deref(), Some("ST4"));
        assert_eq!(postcode_district("NG7 2RD").as_deref(), Some("NG7"));
        assert_eq!(postcode_district("EC1A 1BB").as_deref(), Some("EC1A"));
        assert_eq!(postcode_district("SW1A1AA").as_deref(), Some("SW1A"));
        for bad in [
            "",
            "ST4",
            "hello world",
            "ST4 1A",
            "1ST 4AB",
            "ST4 ABB",
            "ST4 1AB X",
        ] {
            assert_eq!(postcode_district(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn age_counts_whole_years_to_the_birthday() {
        assert_eq!(age_on(d(2008, 6, 15), d(2026, 6, 14)), 17);
        assert_eq!(age_on(d(2008, 6, 15), d(2026, 6, 15)), 18);
        assert_eq!(age_on(d(2030, 1, 1), d(2026, 1, 1)), 0);
    }
}
