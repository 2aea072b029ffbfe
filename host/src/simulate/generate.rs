//! `waymark simulate generate`: a synthetic cohort that looks like a council's intake.
//!
//! The proportions below are our reading of the programme (`shared/DOMAIN.md` and
//! published IPS evaluations), marked *inferred* where no figure is published. They
//! are constants so a reader can check them, and the generator is seeded so the
//! same size and seed always give the same cohort, byte for byte.

use chrono::{Days, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::cohort::CohortMember;
use crate::journey::{CaseworkerEvent, ConsentPurpose, ExitReason, Referral};
use crate::policy::{Cohort, ReferralRoute};

/// Referral routes (inferred): Jobcentre work coaches and health professionals send most.
const ROUTES: &[(ReferralRoute, f64)] = &[
    (ReferralRoute::Jobcentre, 0.35),
    (ReferralRoute::Health, 0.25),
    (ReferralRoute::SelfReferral, 0.20),
    (ReferralRoute::Council, 0.10),
    (ReferralRoute::Voluntary, 0.10),
];
/// Age bands at referral (inferred): mostly working-age adults, a few 16–17s.
const AGES: &[((u32, u32), f64)] = &[
    ((16, 17), 0.03),
    ((18, 24), 0.15),
    ((25, 49), 0.55),
    ((50, 66), 0.27),
];
/// In work but at risk of losing the job: the 4-month track (inferred).
const IN_WORK: f64 = 0.20;
const ON_UNIVERSAL_CREDIT: f64 = 0.60;
/// Known to health services, for referrals not from a health professional (inferred).
const KNOWN_TO_HEALTH: f64 = 0.45;
const ON_OTHER_PROGRAMME: f64 = 0.03;
/// Each priority cohort independently (inferred; mental health is the most common need).
const COHORTS: &[(Cohort, f64)] = &[
    (Cohort::MentalHealth, 0.40),
    (Cohort::Neurodivergent, 0.10),
    (Cohort::Carer, 0.08),
    (Cohort::CareExperienced, 0.03),
    (Cohort::Veteran, 0.02),
    (Cohort::Homeless, 0.04),
    (Cohort::Refugee, 0.02),
    (Cohort::DomesticAbuseSurvivor, 0.03),
    (Cohort::Offender, 0.03),
    (Cohort::SubstanceUse, 0.04),
];
/// Referred people who live outside the given districts (inferred).
const OUT_OF_AREA: f64 = 0.08;
/// Accepted people who never start (taking part is voluntary).
const NEVER_START: f64 = 0.15;
/// Starters on the out-of-work track who find a job during support (IPS: 30–50%).
const JOB_START: f64 = 0.40;
/// Starters who miss a contact at some point, and of those who come back.
const MISS_CONTACT: f64 = 0.30;
const COME_BACK: f64 = 0.70;
/// Starters who take a break for their health, and who withdraw.
const PAUSE: f64 = 0.10;
const WITHDRAW: f64 = 0.08;
/// Starters who do not consent to their key worker contacting employers (inferred):
/// the host then schedules no employer contact or check-in for them.
pub const WITHOUT_EMPLOYER_CONSENT: f64 = 0.25;
/// A key worker's intended caseload: cohorts are allocated to hold about this many.
const CASELOAD_TARGET: usize = 18;

/// What a cohort is generated for.
#[derive(Debug, Clone)]
pub struct CohortSpec {
    pub size: usize,
    pub seed: u64,
    /// The first referral day; referrals arrive evenly over `intake_months`.
    pub starts_on: NaiveDate,
    pub intake_months: u32,
    /// Postcode districts of the council's area, e.g. `ST1`.
    pub districts: Vec<String>,
    /// Districts outside it, for out-of-area referrals.
    pub elsewhere: Vec<String>,
    /// Key workers to allocate to; `None`: enough for about 18 active people each.
    pub key_workers: Option<u32>,
    /// The share of starters (0 to 1) who never consent to employer contact; the
    /// others give it on the day they start.
    pub without_employer_consent: f64,
}

impl CohortSpec {
    /// Stoke-on-Trent's districts and its neighbours', referrals over 12 months.
    pub fn stoke(size: usize, seed: u64) -> CohortSpec {
        let d = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        CohortSpec {
            size,
            seed,
            starts_on: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
            intake_months: 12,
            districts: d(&["ST1", "ST2", "ST3", "ST4", "ST6"]),
            elsewhere: d(&["ST5", "ST7", "ST15", "CW1", "DE13"]),
            key_workers: None,
            without_employer_consent: WITHOUT_EMPLOYER_CONSENT,
        }
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, table: &[(T, f64)]) -> T {
    let mut x: f64 = rng.random();
    for &(v, p) in table {
        if x < p {
            return v;
        }
        x -= p;
    }
    table[table.len() - 1].0
}

fn after(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_add_days(Days::new(days)).unwrap_or(day)
}

pub fn generate(spec: &CohortSpec) -> Vec<CohortMember> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    // Consent is drawn from its own stream of the seed, so changing its share
    // changes who consents and nothing else about the cohort.
    let mut consent_rng = ChaCha8Rng::seed_from_u64(spec.seed);
    consent_rng.set_stream(1);
    let without_consent = spec.without_employer_consent.clamp(0.0, 1.0);
    let intake_end = spec
        .starts_on
        .checked_add_months(Months::new(spec.intake_months.max(1)))
        .unwrap_or(spec.starts_on);
    let intake_days = u64::try_from((intake_end - spec.starts_on).num_days().max(1)).unwrap_or(1);
    // Active people at any time ≈ intake per month × about 8 months of support.
    let active = spec.size * 8 / usize::try_from(spec.intake_months.max(1)).unwrap_or(1);
    let key_workers = spec
        .key_workers
        .unwrap_or_else(|| u32::try_from(active.div_ceil(CASELOAD_TARGET).max(1)).unwrap_or(1));

    let mut members: Vec<CohortMember> = (0..spec.size)
        .map(|i| {
            let offset = (i as u64 * intake_days) / spec.size.max(1) as u64;
            let consents = !consent_rng.random_bool(without_consent);
            member(&mut rng, spec, i, after(spec.starts_on, offset), consents)
        })
        .collect();
    for (i, m) in members.iter_mut().enumerate() {
        m.key_worker = u32::try_from(i).unwrap_or(0) % key_workers;
    }
    members
}

fn member(
    rng: &mut ChaCha8Rng,
    spec: &CohortSpec,
    i: usize,
    referred_on: NaiveDate,
    employer_consent: bool,
) -> CohortMember {
    let route = pick(rng, ROUTES);
    let (lo, hi) = pick(rng, AGES);
    let age = rng.random_range(lo..=hi);
    let born = referred_on
        .checked_sub_months(Months::new(age * 12))
        .and_then(|d| d.checked_sub_days(Days::new(rng.random_range(0..365))))
        .unwrap_or(referred_on);
    let districts = if rng.random_bool(OUT_OF_AREA) || spec.districts.is_empty() {
        &spec.elsewhere
    } else {
        &spec.districts
    };
    let district = districts
        .get(rng.random_range(0..districts.len().max(1)))
        .cloned()
        .unwrap_or_else(|| "ST4".to_owned());
    let postcode = format!(
        "{district} {}{}{}",
        rng.random_range(1..10),
        char::from(b'A' + rng.random_range(0..26u8)),
        char::from(b'A' + rng.random_range(0..26u8)),
    );
    let in_work = rng.random_bool(IN_WORK);
    let cohorts = COHORTS
        .iter()
        .filter(|(_, p)| rng.random_bool(*p))
        .map(|(c, _)| *c)
        .collect();
    let referral = Referral {
        route,
        date_of_birth: born,
        postcode,
        in_work,
        on_universal_credit: rng.random_bool(ON_UNIVERSAL_CREDIT),
        known_to_health_services: route == ReferralRoute::Health
            || rng.random_bool(KNOWN_TO_HEALTH),
        on_other_programme: rng.random_bool(ON_OTHER_PROGRAMME),
        cohorts,
        // Everyone referred to these programmes has a health condition or disability
        // (that is what they are for); no draw, so older seeds give the same cohort.
        health_condition_or_disability: true,
    };
    CohortMember {
        id: format!("p{i:06}"),
        key_worker: 0,
        referred_on,
        referral,
        life: life(rng, referred_on, in_work, employer_consent),
    }
}

/// What happens after the referral, in date order.
fn life(
    rng: &mut ChaCha8Rng,
    referred_on: NaiveDate,
    in_work: bool,
    employer_consent: bool,
) -> Vec<CaseworkerEvent> {
    use CaseworkerEvent as E;
    let mut life: Vec<(NaiveDate, u8, CaseworkerEvent)> = Vec::new();
    if rng.random_bool(NEVER_START) {
        let at = after(referred_on, rng.random_range(5..30));
        life.push((
            at,
            0,
            E::Exited {
                at,
                reason: ExitReason::Withdrew,
            },
        ));
        return life.into_iter().map(|(_, _, e)| e).collect();
    }
    let start = after(referred_on, rng.random_range(3..21));
    if employer_consent {
        // Before the start on the same day (the sort is stable), so the plan made at
        // the start already has it.
        life.push((
            start,
            0,
            E::ConsentGiven {
                at: start,
                purpose: ConsentPurpose::EmployerContact,
            },
        ));
    }
    life.push((start, 0, E::Started { at: start }));
    if !in_work && rng.random_bool(JOB_START) {
        let at = after(start, rng.random_range(30..240));
        life.push((at, 1, E::JobStarted { at }));
    }
    if rng.random_bool(PAUSE) {
        let at = after(start, rng.random_range(20..150));
        let back = after(at, rng.random_range(14..60));
        life.push((at, 2, E::Paused { at }));
        life.push((back, 3, E::Resumed { at: back }));
    }
    if rng.random_bool(MISS_CONTACT) {
        let at = after(start, rng.random_range(10..200));
        life.push((at, 4, E::ContactMissed { at }));
        if rng.random_bool(COME_BACK) {
            let back = after(at, rng.random_range(3..21));
            life.push((back, 5, E::ContactMade { at: back }));
        } else {
            // Keeps missing: the plugin's outreach rule decides when to close.
            for k in 1..=3u64 {
                let again = after(at, 7 * k);
                life.push((again, 4, E::ContactMissed { at: again }));
            }
        }
    }
    if rng.random_bool(WITHDRAW) {
        let at = after(start, rng.random_range(15..300));
        life.push((
            at,
            6,
            E::Exited {
                at,
                reason: ExitReason::Withdrew,
            },
        ));
    }
    life.sort_by_key(|(at, order, _)| (*at, *order));
    life.into_iter().map(|(_, _, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_cohort_and_another_seed_does_not() {
        let a = generate(&CohortSpec::stoke(200, 7));
        let b = generate(&CohortSpec::stoke(200, 7));
        let c = generate(&CohortSpec::stoke(200, 8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn proportions_are_close_to_those_stated() {
        let cohort = generate(&CohortSpec::stoke(5000, 1));
        let share = |f: &dyn Fn(&CohortMember) -> bool| {
            cohort.iter().filter(|m| f(m)).count() as f64 / cohort.len() as f64
        };
        let in_work = share(&|m| m.referral.in_work);
        assert!((in_work - IN_WORK).abs() < 0.03, "in work {in_work}");
        let started = share(&|m| {
            m.life
                .iter()
                .any(|e| matches!(e, CaseworkerEvent::Started { .. }))
        });
        assert!(
            (started - (1.0 - NEVER_START)).abs() < 0.03,
            "started {started}"
        );
        let jobcentre = share(&|m| m.referral.route == ReferralRoute::Jobcentre);
        assert!((jobcentre - 0.35).abs() < 0.03, "jobcentre {jobcentre}");
        let consented = share(&|m| {
            m.life.iter().any(|e| {
                matches!(
                    e,
                    CaseworkerEvent::ConsentGiven {
                        purpose: ConsentPurpose::EmployerContact,
                        ..
                    }
                )
            })
        });
        let expected = (1.0 - NEVER_START) * (1.0 - WITHOUT_EMPLOYER_CONSENT);
        assert!(
            (consented - expected).abs() < 0.03,
            "employer consent {consented}, expected {expected}"
        );
    }

    #[test]
    fn the_share_without_employer_consent_changes_only_who_consents() {
        let consent = |m: &CohortMember| {
            m.life
                .iter()
                .any(|e| matches!(e, CaseworkerEvent::ConsentGiven { .. }))
        };
        let without_consent = |m: &CohortMember| {
            let mut m = m.clone();
            m.life
                .retain(|e| !matches!(e, CaseworkerEvent::ConsentGiven { .. }));
            m
        };
        let mut nobody = CohortSpec::stoke(300, 5);
        nobody.without_employer_consent = 1.0;
        let mut everybody = nobody.clone();
        everybody.without_employer_consent = 0.0;
        let (nobody, everybody) = (generate(&nobody), generate(&everybody));
        assert!(!nobody.iter().any(consent));
        let starters = everybody
            .iter()
            .filter(|m| {
                m.life
                    .iter()
                    .any(|e| matches!(e, CaseworkerEvent::Started { .. }))
            })
            .count();
        assert_eq!(everybody.iter().filter(|m| consent(m)).count(), starters);
        let stripped: Vec<CohortMember> = everybody.iter().map(without_consent).collect();
        assert_eq!(stripped, nobody);
    }

    #[test]
    fn life_events_are_in_date_order_and_referrals_spread_over_the_intake() {
        let cohort = generate(&CohortSpec::stoke(500, 3));
        for m in &cohort {
            let dates: Vec<NaiveDate> = m
                .life
                .iter()
                .map(|e| crate::journey::Event::from(e.clone()).at())
                .collect();
            assert!(
                dates.windows(2).all(|w| w[0] <= w[1]),
                "{}: {dates:?}",
                m.id
            );
            assert!(dates.first().is_none_or(|d| *d >= m.referred_on));
        }
        let first = cohort.iter().map(|m| m.referred_on).min();
        let last = cohort.iter().map(|m| m.referred_on).max();
        assert_eq!(first, NaiveDate::from_ymd_opt(2026, 1, 5));
        assert!(last > NaiveDate::from_ymd_opt(2026, 12, 1));
    }
}
