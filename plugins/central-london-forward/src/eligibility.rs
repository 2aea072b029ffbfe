//! Who can join: residents of any member borough, 18 or over (or 16–17 on
//! Universal Credit), on no other programme. When the partnership has no places,
//! priority cohorts are still accepted and everyone else is waitlisted.

use waymark_sdk::{Cohort, Eligibility, PolicyError, Reason, Referral};

use crate::settings::Settings;

pub(crate) fn decide(settings: &Settings, referral: &Referral) -> Result<Eligibility, PolicyError> {
    settings.check()?;
    let district = referral.postcode_district.trim().to_ascii_uppercase();
    if district.is_empty() {
        return Err(PolicyError::new(
            "the referral has no postcode district, so residence cannot be checked",
        ));
    }
    let borough = settings.borough_of(&district);
    let age = referral.age;
    let old_enough = age >= settings.minimum_age
        || (referral.on_universal_credit && age >= settings.minimum_age_on_universal_credit);

    let mut failed: Vec<(Reason, &str)> = Vec::new();
    if borough.is_none() {
        failed.push((
            Reason::new(
                "residence.member_borough",
                format!(
                    "Lives in {district}, outside the {} member boroughs of Central London Forward.",
                    settings.boroughs.len()
                ),
            ),
            &settings.out_of_area_signpost,
        ));
    }
    if !old_enough {
        failed.push((
            Reason::new(
                "age.minimum",
                format!(
                    "Must be {} or over, or {}–{} on Universal Credit; aged {age}{}.",
                    settings.minimum_age,
                    settings.minimum_age_on_universal_credit,
                    settings.minimum_age.saturating_sub(1),
                    if referral.on_universal_credit {
                        ""
                    } else {
                        " and not on Universal Credit"
                    }
                ),
            ),
            &settings.under_age_signpost,
        ));
    }
    if settings.exclude_other_programmes && referral.on_other_programme {
        failed.push((
            Reason::new(
                "exclusion.other_programme",
                "Already on another employment programme (such as Restart): one at a time.",
            ),
            &settings.other_programme_signpost,
        ));
    }
    if let Some((_, signpost)) = failed.first() {
        let signpost = (*signpost).to_owned();
        return Ok(Eligibility::decline(
            failed.into_iter().map(|(r, _)| r),
            signpost,
        ));
    }

    let borough = borough.unwrap_or_default();
    let eligible = Reason::new(
        "eligible",
        format!("Lives in {district} ({borough}), aged {age}, on no other programme."),
    );
    let priority: Vec<String> = referral
        .cohorts
        .iter()
        .filter(|c| settings.priority_cohorts.contains(c))
        .map(|&c| cohort_name(c).to_owned())
        .collect();
    if settings.intake_open {
        return Ok(Eligibility::accept([eligible]));
    }
    if !priority.is_empty() {
        return Ok(Eligibility::accept([
            eligible,
            Reason::new(
                "priority.cohort",
                format!(
                    "The partnership is full, but places are kept for priority cohorts ({}).",
                    priority.join(", ")
                ),
            ),
        ]));
    }
    let weeks = settings.max_wait_weeks;
    Ok(Eligibility::waitlist([
        eligible,
        Reason::new(
            "capacity.waitlist",
            format!(
                "The partnership has no places now: on the waiting list for at most {weeks} weeks, \
                 with a key worker's call before then."
            ),
        ),
    ])
    .with_signpost(settings.waitlist_signpost.as_str()))
}

fn cohort_name(cohort: Cohort) -> &'static str {
    match cohort {
        Cohort::CareExperienced => "care-experienced",
        Cohort::Carer => "carer",
        Cohort::Veteran => "veteran",
        Cohort::Homeless => "homeless or in temporary accommodation",
        Cohort::Refugee => "refugee",
        Cohort::DomesticAbuseSurvivor => "domestic abuse survivor",
        Cohort::Offender => "with a conviction",
        Cohort::SubstanceUse => "substance use",
        Cohort::MentalHealth => "mental health",
        Cohort::Neurodivergent => "neurodivergent",
    }
}

#[cfg(test)]
mod tests {
    use waymark_sdk::Outcome;

    use super::*;

    fn islington() -> Referral {
        Referral::example().with_postcode_district("N1")
    }

    fn rules(e: &Eligibility) -> Vec<&str> {
        e.reasons.iter().map(|r| r.rule.as_str()).collect()
    }

    fn full() -> Settings {
        Settings {
            intake_open: false,
            ..Settings::default()
        }
    }

    #[test]
    fn a_resident_of_any_member_borough_is_accepted() {
        for district in ["N1", "SE15", "E14", "SW11", "W10"] {
            let referral = Referral::example().with_postcode_district(district);
            let e = decide(&Settings::default(), &referral).expect("decides");
            assert_eq!(e.outcome, Outcome::Accept, "{district}");
        }
    }

    #[test]
    fn a_croydon_resident_is_declined_and_sent_to_their_own_council() {
        let referral = Referral::example().with_postcode_district("CR0");
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(rules(&e), vec!["residence.member_borough"]);
        assert!(e.signpost.expect("signpost").contains("own council"));
    }

    #[test]
    fn a_16_year_old_on_universal_credit_is_accepted_but_not_without_it() {
        let on_uc = islington().with_age(16).with_universal_credit(true);
        assert_eq!(
            decide(&Settings::default(), &on_uc)
                .expect("decides")
                .outcome,
            Outcome::Accept
        );
        let e = decide(&Settings::default(), &islington().with_age(16)).expect("decides");
        assert_eq!(rules(&e), vec!["age.minimum"]);
    }

    #[test]
    fn someone_on_another_programme_is_excluded() {
        let e = decide(
            &Settings::default(),
            &islington().with_other_programme(true),
        )
        .expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
        assert_eq!(rules(&e), vec!["exclusion.other_programme"]);
    }

    #[test]
    fn when_full_non_priority_referrals_are_waitlisted_with_a_signpost() {
        let e = decide(&full(), &islington()).expect("decides");
        assert_eq!(e.outcome, Outcome::Waitlist);
        assert_eq!(rules(&e), vec!["eligible", "capacity.waitlist"]);
        assert!(e.reasons[1].text.contains("at most 8 weeks"));
        assert!(e.signpost.is_some());
    }

    #[test]
    fn when_full_a_care_leaver_is_still_accepted() {
        let referral = islington().with_cohort(Cohort::CareExperienced);
        let e = decide(&full(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
        assert_eq!(rules(&e), vec!["eligible", "priority.cohort"]);
        assert!(
            e.reasons[1].text.contains("(care-experienced)"),
            "{:?}",
            e.reasons
        );
    }

    #[test]
    fn a_cohort_outside_the_priorities_waits_like_anyone() {
        let referral = islington().with_cohort(Cohort::Carer);
        assert_eq!(
            decide(&full(), &referral).expect("decides").outcome,
            Outcome::Waitlist
        );
    }
}
