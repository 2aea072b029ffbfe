"""Who can join: residents of the city's postcode districts, aged 18 or over, or
16-17 on Universal Credit. Every rule is checked, not just the first that fails."""

from __future__ import annotations

from typing import Optional, Tuple

from waymark_sdk import Eligibility, PolicyError, Reason, Referral

from .settings import Settings, _ascii_upper


def decide(settings: Settings, referral: Referral) -> Eligibility:
    settings.check()
    district = referral.postcode_district.strip()
    if not district:
        # An empty district is a fault to look into, not a reason to turn someone away.
        raise PolicyError("the referral has no postcode district, so residence cannot be checked")
    district = _ascii_upper(district)
    lives_here = settings.serves(district)
    passed, rule_and_finding = age_verdict(settings, referral)

    if lives_here and passed is not None:
        return Eligibility.accept(
            [Reason("eligible", f"Lives in {district}, a district the service covers, and is {passed}.")]
        )

    reasons = []
    if not lives_here:
        reasons.append(
            Reason(
                "residence.postcode",
                f"Lives in {district}, outside the districts Stoke-on-Trent City Council's "
                f"Connect to Work serves ({settings.districts_in_words()}).",
            )
        )
    if passed is None:
        reasons.append(Reason("age.minimum", rule_and_finding))
    signpost = settings.under_age_signpost if lives_here else settings.out_of_area_signpost
    return Eligibility.decline(reasons, signpost)


def age_verdict(settings: Settings, referral: Referral) -> Tuple[Optional[str], str]:
    """How the age rule was met (or None), and the rule and finding for a decline."""
    age = referral.age
    minimum = settings.minimum_age
    on_uc_minimum = settings.minimum_age_on_universal_credit
    if age >= minimum:
        passed: Optional[str] = f"aged {age} ({minimum} or over)"
    elif referral.on_universal_credit and age >= on_uc_minimum:
        passed = f"aged {age} and on Universal Credit"
    else:
        passed = None
    if on_uc_minimum < minimum:
        rule = f"Must be {minimum} or over, or {on_uc_minimum}–{minimum - 1} on Universal Credit"
    else:
        rule = f"Must be {minimum} or over"
    finding = f"aged {age}" if referral.on_universal_credit else f"aged {age} and not on Universal Credit"
    return passed, f"{rule}; {finding}."
