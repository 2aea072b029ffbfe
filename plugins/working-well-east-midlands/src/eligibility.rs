//! Who can join: adults living in Nottingham, Nottinghamshire or Derby, referred by
//! a health professional, known to health services, and on no other programme.
//!
//! Every rule is checked, so the decline lists everything that stood in the way;
//! the signpost follows the first failed rule in the order a person would fix them.

use waymark_sdk::{Eligibility, PolicyError, Reason, Referral, ReferralRoute};

use crate::settings::Settings;

pub(crate) fn decide(settings: &Settings, referral: &Referral) -> Result<Eligibility, PolicyError> {
    settings.check()?;
    let district = referral.postcode_district.trim().to_ascii_uppercase();
    if district.is_empty() {
        return Err(PolicyError::new(
            "the referral has no postcode district, so residence cannot be checked",
        ));
    }
    // (failed reason, signpost) in the order a person would act on them.
    let mut failed: Vec<(Reason, &str)> = Vec::new();
    if !settings.serves(&district) {
        failed.push((
            Reason::new(
                "residence.postcode",
                format!(
                    "Lives in {district}, outside Nottingham, Nottinghamshire and Derby, which \
                     Working Well – East Midlands serves."
                ),
            ),
            &settings.out_of_area_signpost,
        ));
    }
    if settings.health_route_only && referral.route != ReferralRoute::Health {
        failed.push((
            Reason::new(
                "route.health_only",
                format!(
                    "IPS in Primary Care takes referrals from health professionals only; this \
                     one came from {}.",
                    route_name(referral.route)
                ),
            ),
            &settings.route_signpost,
        ));
    }
    if settings.require_known_to_health_services && !referral.known_to_health_services {
        failed.push((
            Reason::new(
                "route.registered_with_gp",
                "The service is for people known to health services (registered with a local \
                 GP); this person is not recorded as such.",
            ),
            &settings.route_signpost,
        ));
    }
    if referral.age < settings.minimum_age {
        failed.push((
            Reason::new(
                "age.minimum",
                format!(
                    "Must be {} or over; aged {}.",
                    settings.minimum_age, referral.age
                ),
            ),
            &settings.route_signpost,
        ));
    }
    if settings.exclude_other_programmes && referral.on_other_programme {
        failed.push((
            Reason::new(
                "exclusion.other_programme",
                "Already on another employment programme: one programme at a time.",
            ),
            &settings.other_programme_signpost,
        ));
    }

    let Some((_, signpost)) = failed.first() else {
        return Ok(Eligibility::accept([Reason::new(
            "eligible",
            format!(
                "Lives in {district}, referred by a health professional, known to health \
                 services, aged {} and on no other programme.",
                referral.age
            ),
        )]));
    };
    let signpost = (*signpost).to_owned();
    Ok(Eligibility::decline(
        failed.into_iter().map(|(reason, _)| reason),
        signpost,
    ))
}

fn route_name(route: ReferralRoute) -> &'static str {
    match route {
        ReferralRoute::SelfReferral => "the person themselves",
        ReferralRoute::Council => "a council service",
        ReferralRoute::Health => "a health professional",
        ReferralRoute::Jobcentre => "a Jobcentre",
        ReferralRoute::Voluntary => "a voluntary-sector organisation",
    }
}

#[cfg(test)]
mod tests {
    use waymark_sdk::Outcome;

    use super::*;

    /// A GP referral of a registered patient in Nottingham.
    fn gp_referral() -> Referral {
        Referral::example()
            .with_route(ReferralRoute::Health)
            .with_known_to_health_services(true)
            .with_postcode_district("NG7")
    }

    fn rules(e: &Eligibility) -> Vec<&str> {
        e.reasons.iter().map(|r| r.rule.as_str()).collect()
    }

    #[test]
    fn a_gp_referral_in_nottingham_is_accepted() {
        let e = decide(&Settings::default(), &gp_referral()).expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
        assert_eq!(rules(&e), vec!["eligible"]);
    }

    #[test]
    fn a_derby_resident_is_accepted() {
        let referral = gp_referral().with_postcode_district("de22");
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
    }

    #[test]
    fn a_jobcentre_referral_is_declined_on_route_and_told_to_ask_a_gp() {
        let referral = gp_referral().with_route(ReferralRoute::Jobcentre);
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
        assert_eq!(rules(&e), vec!["route.health_only"]);
        assert!(e.signpost.expect("signpost").contains("GP practice"));
    }

    #[test]
    fn someone_not_registered_with_a_gp_is_declined() {
        let referral = gp_referral().with_known_to_health_services(false);
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(rules(&e), vec!["route.registered_with_gp"]);
    }

    #[test]
    fn the_route_rule_can_be_turned_off() {
        let settings = Settings {
            health_route_only: false,
            ..Settings::default()
        };
        let referral = gp_referral().with_route(ReferralRoute::SelfReferral);
        let e = decide(&settings, &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
    }

    #[test]
    fn a_17_year_old_is_declined_even_on_universal_credit() {
        let referral = gp_referral().with_age(17).with_universal_credit(true);
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(rules(&e), vec!["age.minimum"]);
    }

    #[test]
    fn every_failed_rule_is_given_and_residence_picks_the_signpost() {
        let referral = Referral::example()
            .with_postcode_district("LE1")
            .with_other_programme(true);
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(
            rules(&e),
            vec![
                "residence.postcode",
                "route.health_only",
                "route.registered_with_gp",
                "exclusion.other_programme"
            ]
        );
        assert!(
            e.signpost
                .expect("signpost")
                .starts_with("Your own council")
        );
    }

    #[test]
    fn someone_on_restart_is_declined_and_sent_back_to_it() {
        let referral = gp_referral().with_other_programme(true);
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(rules(&e), vec!["exclusion.other_programme"]);
        assert!(
            e.signpost
                .expect("signpost")
                .contains("current employment programme")
        );
    }
}
