//! The handover at the end of support: to the employer, with the exit plan, for
//! someone in work *(IPES: an exit plan when provision ends)*; to NHS Talking
//! Therapies employment advisers for mental-health needs *(inferred)*; otherwise a
//! warm handback to the Jobcentre work coach, who referred them.

use waymark_sdk::{Destination, Handover, Journey, PolicyError, Reason};

use crate::settings::Settings;

pub(crate) fn decide(settings: &Settings, journey: &Journey) -> Result<Handover, PolicyError> {
    settings.check()?;
    let in_work = journey.job_started_on.is_some() && journey.job_ended_on.is_none();
    let (destination, why) = if in_work {
        (
            Destination::Employer,
            "In work at the end of support: the employer carries on, with the exit plan agreed \
             with the participant.",
        )
    } else if journey.mental_health_needs {
        (
            Destination::NhsTalkingTherapies,
            "Out of work with mental-health needs: NHS Talking Therapies employment advisers \
             carry on the support.",
        )
    } else {
        (
            Destination::Jobcentre,
            "Out of work at the end of support: a warm handback to the Jobcentre work coach.",
        )
    };
    let mut pack = vec![
        "Action plan and progress against it".to_owned(),
        "Exit plan: the next steps agreed with the participant".to_owned(),
    ];
    if in_work {
        pack.push("Employer support plan and agreed workplace adjustments".to_owned());
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
    fn in_work_goes_to_the_employer_with_the_exit_plan() {
        let journey =
            Journey::started_on(date("2026-01-05")).with_job_started_on(date("2027-01-04"));
        let h = decide(&Settings::default(), &journey).expect("decides");
        assert_eq!(h.destination, Destination::Employer);
        assert!(h.pack.iter().any(|item| item.starts_with("Exit plan")));
    }

    #[test]
    fn out_of_work_goes_back_to_the_jobcentre() {
        let journey = Journey::started_on(date("2026-01-05"));
        let h = decide(&Settings::default(), &journey).expect("decides");
        assert_eq!(h.destination, Destination::Jobcentre);
    }
}
