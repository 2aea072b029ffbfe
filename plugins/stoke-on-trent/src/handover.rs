//! The handover at the end of support: by default a warm handback to the
//! participant's Jobcentre work coach, with a pack summarising the journey.

use waymark_sdk::{Destination, Handover, Journey, PolicyError, Reason};

use crate::settings::Settings;

pub(crate) fn decide(settings: &Settings, journey: &Journey) -> Result<Handover, PolicyError> {
    settings.check()?;
    let mut pack = settings.handover_pack.clone();
    if journey.job_started_on.is_some() {
        pack.push(
            "In-work support so far, and the employer contact the participant agreed to".to_owned(),
        );
    }
    let to = match settings.handover_destination {
        Destination::Jobcentre => "their Jobcentre work coach, in a warm handover",
        Destination::NhsTalkingTherapies => "NHS Talking Therapies employment advisers",
        Destination::CouncilProvision => "the council's other employment provision",
        Destination::Employer => "their employer, with an exit plan",
    };
    Ok(Handover::new(
        settings.handover_destination,
        pack,
        [Reason::new(
            "handover.destination",
            format!(
                "At the end of Connect to Work support, Stoke-on-Trent hands participants over to \
                 {to}, with a pack summarising their progress."
            ),
        )],
    ))
}

#[cfg(test)]
mod tests {
    use waymark_sdk::Journey;
    use waymark_sdk::testing::date;

    use super::*;

    #[test]
    fn support_ends_with_a_jobcentre_handover_and_a_summary_pack() {
        let journey = Journey::started_on(date("2026-01-05"));
        let h = decide(&Settings::default(), &journey).expect("decides");
        assert_eq!(h.destination, Destination::Jobcentre);
        assert_eq!(h.pack[0], "Action plan summary");
        assert!(
            h.pack
                .iter()
                .any(|i| i.starts_with("Contacts for follow-up"))
        );
        assert_eq!(h.reasons[0].rule, "handover.destination");
    }

    #[test]
    fn someone_in_work_gets_their_in_work_support_in_the_pack() {
        let journey =
            Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-04-01"));
        let h = decide(&Settings::default(), &journey).expect("decides");
        assert!(
            h.pack
                .iter()
                .any(|i| i.starts_with("In-work support so far"))
        );
    }
}
