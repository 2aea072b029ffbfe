//! The handover at the end of support: to NHS Talking Therapies employment
//! advisers for anyone with mental-health needs; otherwise to the employer (with an
//! exit plan) for someone in work, or back to the Jobcentre. The pack says how the
//! outcome checkpoints went and when a job ended (contract 1.1 facts).

use waymark_sdk::calendar::describe;
use waymark_sdk::{Destination, Handover, Journey, PolicyError, Reason};

use crate::settings::Settings;

pub(crate) fn decide(settings: &Settings, journey: &Journey) -> Result<Handover, PolicyError> {
    settings.check()?;
    let in_work = journey.job_started_on.is_some() && journey.job_ended_on.is_none();
    let (destination, why) = if journey.mental_health_needs {
        (
            Destination::NhsTalkingTherapies,
            "Mental-health needs: NHS Talking Therapies employment advisers carry on the \
             support, in or out of work.",
        )
    } else if in_work {
        (
            Destination::Employer,
            "In work with no mental-health needs recorded: the employer takes over, with an \
             exit plan agreed with the participant.",
        )
    } else {
        (
            Destination::Jobcentre,
            "Out of work at the end of support: a warm handback to the Jobcentre work coach.",
        )
    };
    let mut pack = vec![
        "Vocational profile and action plan".to_owned(),
        "What has helped with health at work, in the participant's words".to_owned(),
        "Contacts: the employment specialist and the referring GP practice".to_owned(),
    ];
    if in_work {
        pack.push("In-work support plan and agreed workplace adjustments".to_owned());
    }
    if let Some(ended) = journey.job_ended_on {
        pack.push(format!(
            "The job that started on {} ended on {}: what the participant learned from it",
            journey
                .job_started_on
                .map_or_else(|| "an unrecorded date".to_owned(), describe),
            describe(ended)
        ));
    }
    if !journey.outcome_checkpoints.is_empty() {
        let met = journey.outcome_checkpoints.iter().filter(|c| c.met).count();
        pack.push(format!(
            "Outcome checkpoints: {met} of {} met",
            journey.outcome_checkpoints.len()
        ));
    }
    if destination == Destination::NhsTalkingTherapies {
        pack.push("Consent to share with NHS Talking Therapies".to_owned());
    }
    Ok(Handover::new(
        destination,
        pack,
        [Reason::new("handover.destination", why)],
    ))
}

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::date;

    use super::*;

    #[test]
    fn mental_health_needs_go_to_nhs_talking_therapies() {
        let journey = Journey::started_on(date("2026-01-05")).with_mental_health_needs(true);
        let h = decide(&Settings::default(), &journey).expect("decides");
        assert_eq!(h.destination, Destination::NhsTalkingTherapies);
        assert!(
            h.pack
                .contains(&"Consent to share with NHS Talking Therapies".to_owned())
        );
    }

    #[test]
    fn someone_in_work_is_handed_to_their_employer_with_an_exit_plan() {
        let journey =
            Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-03-02"));
        let h = decide(&Settings::default(), &journey).expect("decides");
        assert_eq!(h.destination, Destination::Employer);
    }

    #[test]
    fn a_job_that_ended_goes_back_to_the_jobcentre_with_the_checkpoints_in_the_pack() {
        let journey = Journey::started_on(date("2026-01-05"))
            .with_job_started_on(date("2026-03-02"))
            .with_job_ended_on(date("2026-05-29"))
            .with_checkpoint(date("2026-06-01"), false, 4);
        let h = decide(&Settings::default(), &journey).expect("decides");
        assert_eq!(h.destination, Destination::Jobcentre);
        assert!(
            h.pack
                .contains(&"Outcome checkpoints: 0 of 1 met".to_owned()),
            "{:?}",
            h.pack
        );
        assert!(
            h.pack.iter().any(|item| item.contains("ended on")),
            "{:?}",
            h.pack
        );
    }

    #[test]
    fn otherwise_back_to_the_jobcentre() {
        let journey = Journey::started_on(date("2026-01-05"));
        let h = decide(&Settings::default(), &journey).expect("decides");
        assert_eq!(h.destination, Destination::Jobcentre);
    }
}
