//! Who can join: residents of the city's postcode districts, aged 18 or over, or
//! 16–17 on Universal Credit.
//!
//! Every rule is checked, not just the first that fails, so a declined person and
//! the key worker see everything that stood in the way at once.

use waymark_sdk::{Eligibility, PolicyError, Reason, Referral};

use crate::settings::Settings;

pub(crate) fn decide(settings: &Settings, referral: &Referral) -> Result<Eligibility, PolicyError> {
    settings.check()?;
    let district = referral.postcode_district.trim();
    if district.is_empty() {
        // The host derives the district from a validated postcode; an empty one
        // is a fault to look into, not a reason to turn someone away.
        return Err(PolicyError::new(
            "the referral has no postcode district, so residence cannot be checked",
        ));
    }
    let district = district.to_ascii_uppercase();
    let lives_here = settings.serves(&district);
    let age = age_verdict(settings, referral);

    if lives_here && let Some(passed_age) = &age.passed {
        return Ok(Eligibility::accept([Reason::new(
            "eligible",
            format!("Lives in {district}, a district the service covers, and is {passed_age}."),
        )]));
    }

    let mut reasons = Vec::new();
    if !lives_here {
        reasons.push(Reason::new(
            "residence.postcode",
            format!(
                "Lives in {district}, outside the districts Stoke-on-Trent City Council's \
                 Connect to Work serves ({}).",
                settings.districts_in_words()
            ),
        ));
    }
    if age.passed.is_none() {
        reasons.push(Reason::new("age.minimum", age.rule_and_finding));
    }
    // Someone outside the area is best served by their own council, whatever
    // their age; someone in the area who is too young, by careers advice.
    let signpost = if lives_here {
        &settings.under_age_signpost
    } else {
        &settings.out_of_area_signpost
    };
    Ok(Eligibility::decline(reasons, signpost.as_str()))
}

struct AgeVerdict {
    /// How the age rule was met, in words, or `None` if it was not.
    passed: Option<String>,
    /// The rule and what was found, for a decline.
    rule_and_finding: String,
}

fn age_verdict(settings: &Settings, referral: &Referral) -> AgeVerdict {
    let age = referral.age;
    let minimum = settings.minimum_age;
    let on_uc_minimum = settings.minimum_age_on_universal_credit;
    let passed = if age >= minimum {
        Some(format!("aged {age} ({minimum} or over)"))
    } else if referral.on_universal_credit && age >= on_uc_minimum {
        Some(format!("aged {age} and on Universal Credit"))
    } else {
        None
    };
    let rule = if on_uc_minimum < minimum {
        format!(
            "Must be {minimum} or over, or {on_uc_minimum}–{} on Universal Credit",
            minimum - 1
        )
    } else {
        format!("Must be {minimum} or over")
    };
    let finding = if referral.on_universal_credit {
        format!("aged {age}")
    } else {
        format!("aged {age} and not on Universal Credit")
    };
    AgeVerdict {
        passed,
        rule_and_finding: format!("{rule}; {finding}."),
    }
}

#[cfg(test)]
mod tests {
    use waymark_sdk::{Outcome, Referral};

    use super::*;

    fn rules(e: &Eligibility) -> Vec<&str> {
        e.reasons.iter().map(|r| r.rule.as_str()).collect()
    }

    #[test]
    fn an_adult_in_st4_is_accepted_with_what_passed() {
        let e = decide(&Settings::default(), &Referral::example()).expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
        assert_eq!(rules(&e), vec!["eligible"]);
        assert!(
            e.reasons[0].text.contains("Lives in ST4"),
            "{:?}",
            e.reasons
        );
        assert!(
            e.reasons[0].text.contains("aged 30 (18 or over)"),
            "{:?}",
            e.reasons
        );
        assert_eq!(e.signpost, None);
    }

    #[test]
    fn someone_outside_the_districts_is_declined_and_signposted_to_their_own_council() {
        let referral = Referral::example().with_postcode_district("M1");
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
        assert_eq!(rules(&e), vec!["residence.postcode"]);
        assert!(e.reasons[0].text.contains("ST1, ST2, ST3, ST4 and ST6"));
        let signpost = e.signpost.expect("a signpost");
        assert!(signpost.contains("Your own council"), "{signpost}");
    }

    #[test]
    fn a_neighbouring_st_district_is_outside_the_city() {
        let referral = Referral::example().with_postcode_district("ST5");
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
    }

    #[test]
    fn the_district_is_compared_ignoring_case() {
        let referral = Referral::example().with_postcode_district("st6");
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
    }

    #[test]
    fn a_17_year_old_on_universal_credit_is_accepted() {
        let referral = Referral::example().with_age(17).with_universal_credit(true);
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Accept);
        assert!(
            e.reasons[0]
                .text
                .contains("aged 17 and on Universal Credit")
        );
    }

    #[test]
    fn a_17_year_old_not_on_universal_credit_is_declined_with_the_age_rule() {
        let referral = Referral::example().with_age(17);
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
        assert_eq!(rules(&e), vec!["age.minimum"]);
        assert_eq!(
            e.reasons[0].text,
            "Must be 18 or over, or 16–17 on Universal Credit; aged 17 and not on Universal Credit."
        );
        assert!(
            e.signpost
                .expect("a signpost")
                .contains("National Careers Service")
        );
    }

    #[test]
    fn nobody_under_16_is_accepted_even_on_universal_credit() {
        let referral = Referral::example().with_age(15).with_universal_credit(true);
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
        assert_eq!(rules(&e), vec!["age.minimum"]);
    }

    #[test]
    fn every_failed_rule_is_given_and_residence_picks_the_signpost() {
        let referral = Referral::example()
            .with_age(16)
            .with_postcode_district("M1");
        let e = decide(&Settings::default(), &referral).expect("decides");
        assert_eq!(rules(&e), vec!["residence.postcode", "age.minimum"]);
        assert!(e.signpost.expect("a signpost").contains("Your own council"));
    }

    #[test]
    fn the_universal_credit_exception_can_be_turned_off() {
        let settings = Settings {
            minimum_age_on_universal_credit: 18,
            ..Settings::default()
        };
        let referral = Referral::example().with_age(17).with_universal_credit(true);
        let e = decide(&settings, &referral).expect("decides");
        assert_eq!(e.outcome, Outcome::Decline);
        assert!(e.reasons[0].text.starts_with("Must be 18 or over;"));
    }

    #[test]
    fn a_missing_district_is_refused_not_declined() {
        let referral = Referral::example().with_postcode_district(" ");
        assert!(decide(&Settings::default(), &referral).is_err());
    }
}
