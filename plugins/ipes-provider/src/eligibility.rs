//! Who can join: a Jobcentre referral *(inferred: IPES places come through work
//! coaches)* of an adult *(inferred)* who declares a health condition or
//! disability *(IPES is for disabled people)*, is out of work *(IPES: at least a
//! year away from moving into work; being in work rules that out)* and is on no
//! other employment programme *(inferred)*.
//!
//! Every rule is checked, not just the first that fails, so a declined person and
//! the work coach see everything that stood in the way at once.

use waymark_sdk::{Eligibility, PolicyError, Reason, Referral, ReferralRoute};

use crate::settings::Settings;

pub(crate) fn decide(settings: &Settings, referral: &Referral) -> Result<Eligibility, PolicyError> {
    settings.check()?;
    let mut failed = Vec::new();
    let mut signpost = &settings.not_eligible_signpost;
    if !settings.referral_routes.contains(&referral.route) {
        failed.push(Reason::new(
            "route.jobcentre",
            format!(
                "Referred by {}: places come by {} only.",
                route_name(referral.route),
                settings
                    .referral_routes
                    .iter()
                    .map(|&r| route_name(r))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ));
        signpost = &settings.route_signpost;
    }
    if referral.age < settings.minimum_age {
        failed.push(Reason::new(
            "age.minimum",
            format!(
                "Aged {}: must be {} or over.",
                referral.age, settings.minimum_age
            ),
        ));
    }
    if settings.requires_health_condition_or_disability && !referral.health_condition_or_disability
    {
        failed.push(Reason::new(
            "health.condition_or_disability",
            "No health condition or disability declared: IPES is for disabled people.",
        ));
    }
    if referral.in_work {
        failed.push(Reason::new(
            "work.out_of_work",
            "In work: IPES is for people at least a year away from moving into work.",
        ));
    }
    if settings.exclude_other_programmes && referral.on_other_programme {
        failed.push(Reason::new(
            "exclusion.other_programme",
            "Already on another employment programme.",
        ));
    }
    if failed.is_empty() {
        return Ok(Eligibility::accept([Reason::new(
            "eligible",
            format!(
                "A {} referral, aged {}, with a declared health condition or disability, out \
                 of work and on no other programme.",
                route_name(referral.route),
                referral.age
            ),
        )]));
    }
    Ok(Eligibility::decline(failed, signpost.as_str()))
}

fn route_name(route: ReferralRoute) -> &'static str {
    match route {
        ReferralRoute::SelfReferral => "self-referral",
        ReferralRoute::Council => "a council service",
        ReferralRoute::Health => "a health professional",
        ReferralRoute::Jobcentre => "the Jobcentre",
        ReferralRoute::Voluntary => "a voluntary organisation",
    }
}

#[cfg(test)]
mod tests {
    use waymark_sdk::Outcome;

    use super::*;

    fn rules(e: &Eligibility) -> Vec<&str> {
        e.reasons.iter().map(|r| r.rule.as_str()).collect()
    }

    #[test]
    fn a_jobcentre_referral_with_a_declared_condition_is_accepted() {
        let e = decide(&Settings::default(), &Referral::example()).expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
        assert_eq!(rules(&e), vec!["eligible"]);
    }

    #[test]
    fn every_failed_rule_is_given() {
        let r = Referral::example()
            .with_route(ReferralRoute::SelfReferral)
            .with_health_condition_or_disability(false)
            .with_in_work(true);
        let e = decide(&Settings::default(), &r).expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
        assert_eq!(
            rules(&e),
            vec![
                "route.jobcentre",
                "health.condition_or_disability",
                "work.out_of_work"
            ]
        );
        assert_eq!(
            e.signpost.as_deref(),
            Some(Settings::default().route_signpost.as_str())
        );
    }
}
