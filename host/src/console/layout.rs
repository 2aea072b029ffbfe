//! The GOV.UK Frontend page template and the components the pages use, as the
//! Design System documents them (error summary, field errors beside the fields,
//! summary lists, tables, buttons). No crown, no GDS Transport: a council's service.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::html::{Markup, html};
use super::{Session, may};

/// What the page is, for the title, the heading and the navigation.
pub struct Page<'a> {
    pub title: &'a str,
    pub session: Option<&'a Session>,
    /// The council the page is about (its navigation is shown).
    pub council: Option<&'a str>,
    /// Which navigation item is the current page.
    pub active: &'a str,
}

/// The council pages, each with the API route it reads (shown only if the role may).
const COUNCIL_NAV: &[(&str, &str, &str)] = &[
    ("overview", "", "/v1/councils/{council}"),
    ("work", "/work", "/v1/councils/{council}/actions"),
    ("reviews", "/reviews", "/v1/councils/{council}/reviews"),
    (
        "participants",
        "/participants",
        "/v1/councils/{council}/participants",
    ),
    (
        "schedules",
        "/schedules",
        "/v1/councils/{council}/schedules",
    ),
    ("settings", "/settings", "/v1/councils/{council}/settings"),
    (
        "plugins",
        "/plugins",
        "/v1/councils/{council}/plugin/versions",
    ),
    ("keys", "/keys", "/v1/councils/{council}/keys"),
    ("webhook", "/webhook", "/v1/councils/{council}/webhook"),
    ("audit", "/audit", "/v1/councils/{council}/audit"),
    ("limits", "/limits", "/v1/councils/{council}/limits"),
];

fn nav_label(item: &str) -> &'static str {
    match item {
        "overview" => "Overview",
        "work" => "My work today",
        "reviews" => "Review queue",
        "participants" => "Participants",
        "schedules" => "Schedules",
        "settings" => "Settings",
        "plugins" => "Plugin versions",
        "keys" => "Keys",
        "webhook" => "Webhook",
        "audit" => "Audit log",
        "limits" => "Limits and retention",
        _ => "",
    }
}

fn navigation(page: &Page<'_>) -> Markup {
    let Some(session) = page.session else {
        return Markup::new();
    };
    let mut items = Markup::new();
    for (href, label, active, route) in [
        ("/console/councils", "Councils", "councils", "/v1/councils"),
        (
            "/console/keys",
            "Platform keys",
            "platform-keys",
            "/v1/keys",
        ),
        (
            "/console/audit",
            "Platform audit log",
            "platform-audit",
            "/v1/audit",
        ),
    ] {
        if may(session, "GET", route, None) {
            items.push(nav_item(href.into(), label, page.active == active));
        }
    }
    if let Some(council) = page.council {
        for (item, suffix, route) in COUNCIL_NAV {
            if may(session, "GET", route, Some(council)) {
                items.push(nav_item(
                    format!("/console/councils/{}{suffix}", super::seg(council)),
                    nav_label(item),
                    page.active == *item,
                ));
            }
        }
    }
    html!(
        "<section aria-label=\"Menu\" class=\"govuk-service-navigation\" data-module=\"govuk-service-navigation\"><div class=\"govuk-width-container\"><div class=\"govuk-service-navigation__container\"><nav aria-label=\"Menu\" class=\"govuk-service-navigation__wrapper\"><ul class=\"govuk-service-navigation__list\" id=\"navigation\">{}</ul></nav></div></div></section>",
        items
    )
}

fn nav_item(href: String, label: &str, active: bool) -> Markup {
    if active {
        html!(
            "<li class=\"govuk-service-navigation__item govuk-service-navigation__item--active\"><a class=\"govuk-service-navigation__link\" href=\"{}\" aria-current=\"page\"><strong class=\"govuk-service-navigation__active-fallback\">{}</strong></a></li>",
            href,
            label
        )
    } else {
        html!(
            "<li class=\"govuk-service-navigation__item\"><a class=\"govuk-service-navigation__link\" href=\"{}\">{}</a></li>",
            href,
            label
        )
    }
}

/// The whole page around `main`.
pub fn render(page: Page<'_>, main: Markup) -> Markup {
    let signed_in = match page.session {
        Some(s) => {
            let role = match s.caller.role.as_str() {
                "platform_admin" => "Platform admin",
                "council_admin" => "Council admin",
                "caseworker" => "Key worker",
                "auditor" => "Auditor",
                other => other,
            };
            let who = match &s.caller.council {
                Some(c) => format!("{role}, council {}", c.as_str()),
                None => role.to_owned(),
            };
            html!(
                "<div class=\"govuk-width-container console-account\"><p class=\"govuk-body-s govuk-!-margin-top-2 govuk-!-margin-bottom-0\">Signed in: {}.</p><form method=\"post\" action=\"/console/sign-out\" class=\"govuk-!-margin-bottom-2\">{}<button type=\"submit\" class=\"govuk-button govuk-button--secondary govuk-!-margin-bottom-0\" data-module=\"govuk-button\">Sign out</button></form></div>",
                who,
                csrf(s)
            )
        }
        None => Markup::new(),
    };
    html!(
        "<!DOCTYPE html>\n<html lang=\"en\" class=\"govuk-template\"><head><meta charset=\"utf-8\"><title>{} – Waymark console</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1, viewport-fit=cover\"><link rel=\"stylesheet\" href=\"/console/assets/govuk-frontend.min.css\"><link rel=\"stylesheet\" href=\"/console/assets/console.css\"><link rel=\"icon\" href=\"/console/assets/favicon.svg\" type=\"image/svg+xml\"><script type=\"module\" src=\"/console/assets/console.js\"></script></head><body class=\"govuk-template__body\"><a href=\"#main-content\" class=\"govuk-skip-link\" data-module=\"govuk-skip-link\">Skip to main content</a><header class=\"govuk-header\" data-module=\"govuk-header\"><div class=\"govuk-header__container govuk-width-container\"><div class=\"govuk-header__logo\"><a href=\"/console/\" class=\"govuk-header__link govuk-header__homepage-link\"><span class=\"govuk-header__logotype-text\">Waymark</span> <span>console</span></a></div></div></header>{}{}<div class=\"govuk-width-container\"><main class=\"govuk-main-wrapper\" id=\"main-content\">{}</main></div><footer class=\"govuk-footer\"><div class=\"govuk-width-container\"><div class=\"govuk-footer__meta\"><div class=\"govuk-footer__meta-item govuk-footer__meta-item--grow\"><p class=\"govuk-body-s\">Waymark: employment-support journeys for UK councils. Built with GOV.UK Frontend (MIT).</p></div></div></div></footer></body></html>",
        page.title,
        navigation(&page),
        signed_in,
        main
    )
}

/// A complete HTML response.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        markup.into_string(),
    )
        .into_response()
}

pub fn ok(page: Page<'_>, main: Markup) -> Response {
    respond(StatusCode::OK, render(page, main))
}

pub fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let main = html!(
        "<h1 class=\"govuk-heading-l\">{}</h1><p class=\"govuk-body\">{}</p><p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/console/\">Go to the console's start page</a></p>",
        title,
        detail
    );
    let page = Page {
        title,
        session: None,
        council: None,
        active: "",
    };
    respond(status, render(page, main))
}

pub fn forbidden(detail: &str) -> Response {
    error_page(StatusCode::FORBIDDEN, "You cannot do this", detail)
}

pub fn refused(detail: &str) -> Response {
    error_page(StatusCode::FORBIDDEN, "This form was refused", detail)
}

pub fn not_found(detail: &str) -> Response {
    error_page(StatusCode::NOT_FOUND, "Page not found", detail)
}

/// The hidden CSRF field every form carries.
pub fn csrf(session: &Session) -> Markup {
    html!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        session.csrf
    )
}

pub fn h1(text: &str) -> Markup {
    html!("<h1 class=\"govuk-heading-l\">{}</h1>", text)
}

pub fn caption_h1(caption: &str, text: &str) -> Markup {
    html!(
        "<span class=\"govuk-caption-l\">{}</span><h1 class=\"govuk-heading-l\">{}</h1>",
        caption,
        text
    )
}

pub fn p(text: &str) -> Markup {
    html!("<p class=\"govuk-body\">{}</p>", text)
}

pub fn link(href: &str, text: &str) -> Markup {
    html!("<a class=\"govuk-link\" href=\"{}\">{}</a>", href, text)
}

/// A field-level error: `(field id, message)`.
pub type FieldError = (String, String);

/// The error summary at the top of a page, linking to each field.
pub fn error_summary(errors: &[FieldError]) -> Markup {
    if errors.is_empty() {
        return Markup::new();
    }
    let items: Markup = errors
        .iter()
        .map(|(id, msg)| {
            if id.is_empty() {
                html!("<li>{}</li>", msg)
            } else {
                html!("<li><a href=\"#{}\">{}</a></li>", id, msg)
            }
        })
        .collect();
    html!(
        "<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\"><div role=\"alert\"><h2 class=\"govuk-error-summary__title\">There is a problem</h2><div class=\"govuk-error-summary__body\"><ul class=\"govuk-list govuk-error-summary__list\">{}</ul></div></div></div>",
        items
    )
}

pub fn error_for<'a>(errors: &'a [FieldError], id: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(f, _)| f == id)
        .map(|(_, m)| m.as_str())
}

/// A labelled text input with its hint and error.
pub fn input(
    id: &str,
    label: &str,
    hint: &str,
    value: &str,
    error: Option<&str>,
    kind: &str,
) -> Markup {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let mut described = String::new();
    if !hint.is_empty() {
        described.push_str(&hint_id);
    }
    if error.is_some() {
        if !described.is_empty() {
            described.push(' ');
        }
        described.push_str(&error_id);
    }
    let hint_m = if hint.is_empty() {
        Markup::new()
    } else {
        html!(
            "<div id=\"{}\" class=\"govuk-hint\">{}</div>",
            hint_id,
            hint
        )
    };
    let (group, class, err_m) = match error {
        Some(e) => (
            "govuk-form-group govuk-form-group--error",
            "govuk-input govuk-input--error",
            html!(
                "<p id=\"{}\" class=\"govuk-error-message\"><span class=\"govuk-visually-hidden\">Error:</span> {}</p>",
                error_id,
                e
            ),
        ),
        None => ("govuk-form-group", "govuk-input", Markup::new()),
    };
    let described_attr = if described.is_empty() {
        Markup::new()
    } else {
        html!(" aria-describedby=\"{}\"", described)
    };
    html!(
        "<div class=\"{}\"><label class=\"govuk-label\" for=\"{}\">{}</label>{}{}<input class=\"{}\" id=\"{}\" name=\"{}\" type=\"{}\" value=\"{}\"{} autocomplete=\"off\"></div>",
        group,
        id,
        label,
        hint_m,
        err_m,
        class,
        id,
        id,
        kind,
        value,
        described_attr
    )
}

/// A labelled select; `options` are `(value, text)`.
pub fn select(
    id: &str,
    label: &str,
    hint: &str,
    options: &[(&str, &str)],
    chosen: &str,
    error: Option<&str>,
) -> Markup {
    let opts: Markup = options
        .iter()
        .map(|(v, t)| {
            if *v == chosen {
                html!("<option value=\"{}\" selected>{}</option>", v, t)
            } else {
                html!("<option value=\"{}\">{}</option>", v, t)
            }
        })
        .collect();
    let hint_m = if hint.is_empty() {
        Markup::new()
    } else {
        html!(
            "<div id=\"{}-hint\" class=\"govuk-hint\">{}</div>",
            id,
            hint
        )
    };
    let (group, err_m) = match error {
        Some(e) => (
            "govuk-form-group govuk-form-group--error",
            html!(
                "<p id=\"{}-error\" class=\"govuk-error-message\"><span class=\"govuk-visually-hidden\">Error:</span> {}</p>",
                id,
                e
            ),
        ),
        None => ("govuk-form-group", Markup::new()),
    };
    html!(
        "<div class=\"{}\"><label class=\"govuk-label\" for=\"{}\">{}</label>{}{}<select class=\"govuk-select\" id=\"{}\" name=\"{}\">{}</select></div>",
        group,
        id,
        label,
        hint_m,
        err_m,
        id,
        id,
        opts
    )
}

pub fn textarea(id: &str, label: &str, hint: &str, value: &str, error: Option<&str>) -> Markup {
    let hint_m = if hint.is_empty() {
        Markup::new()
    } else {
        html!(
            "<div id=\"{}-hint\" class=\"govuk-hint\">{}</div>",
            id,
            hint
        )
    };
    let (group, class, err_m) = match error {
        Some(e) => (
            "govuk-form-group govuk-form-group--error",
            "govuk-textarea govuk-textarea--error",
            html!(
                "<p id=\"{}-error\" class=\"govuk-error-message\"><span class=\"govuk-visually-hidden\">Error:</span> {}</p>",
                id,
                e
            ),
        ),
        None => ("govuk-form-group", "govuk-textarea", Markup::new()),
    };
    html!(
        "<div class=\"{}\"><label class=\"govuk-label\" for=\"{}\">{}</label>{}{}<textarea class=\"{}\" id=\"{}\" name=\"{}\" rows=\"3\">{}</textarea></div>",
        group,
        id,
        label,
        hint_m,
        err_m,
        class,
        id,
        id,
        value
    )
}

pub fn button(label: &str) -> Markup {
    html!(
        "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">{}</button>",
        label
    )
}

pub fn secondary_button(label: &str) -> Markup {
    html!(
        "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\" data-module=\"govuk-button\">{}</button>",
        label
    )
}

/// A form that posts to `action` with the session's CSRF token.
pub fn post_form(session: &Session, action: &str, inner: Markup) -> Markup {
    html!(
        "<form method=\"post\" action=\"{}\" novalidate>{}{}</form>",
        action,
        csrf(session),
        inner
    )
}

/// A summary list of `(key, value)` rows.
pub fn summary(rows: Vec<(&str, Markup)>) -> Markup {
    let rows: Markup = rows
        .into_iter()
        .map(|(k, v)| {
            html!(
                "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">{}</dt><dd class=\"govuk-summary-list__value\">{}</dd></div>",
                k,
                v
            )
        })
        .collect();
    html!("<dl class=\"govuk-summary-list\">{}</dl>", rows)
}

/// A table with a caption, headings and rows of cells.
pub fn table(caption: &str, head: &[&str], rows: Vec<Vec<Markup>>) -> Markup {
    let head: Markup = head
        .iter()
        .map(|h| html!("<th scope=\"col\" class=\"govuk-table__header\">{}</th>", h))
        .collect();
    let body: Markup = rows
        .into_iter()
        .map(|cells| {
            let cells: Markup = cells
                .into_iter()
                .map(|c| html!("<td class=\"govuk-table__cell\">{}</td>", c))
                .collect();
            html!("<tr class=\"govuk-table__row\">{}</tr>", cells)
        })
        .collect();
    html!(
        "<table class=\"govuk-table\"><caption class=\"govuk-table__caption govuk-table__caption--m\">{}</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">{}</tr></thead><tbody class=\"govuk-table__body\">{}</tbody></table>",
        caption,
        head,
        body
    )
}

pub fn tag(text: &str, colour: &str) -> Markup {
    if colour.is_empty() {
        html!("<strong class=\"govuk-tag\">{}</strong>", text)
    } else {
        html!(
            "<strong class=\"govuk-tag govuk-tag--{}\">{}</strong>",
            colour,
            text
        )
    }
}

/// A green banner saying what just happened.
pub fn success_banner(heading: &str, body: Markup) -> Markup {
    html!(
        "<div class=\"govuk-notification-banner govuk-notification-banner--success\" role=\"alert\" aria-labelledby=\"banner-title\" data-module=\"govuk-notification-banner\"><div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\" id=\"banner-title\">Success</h2></div><div class=\"govuk-notification-banner__content\"><p class=\"govuk-notification-banner__heading\">{}</p>{}</div></div>",
        heading,
        body
    )
}

/// JSON shown as text, for values the page has no special layout for.
pub fn json_block(value: &serde_json::Value) -> Markup {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    html!("<pre class=\"govuk-body-s console-json\">{}</pre>", text)
}

/// Links to the first page (on a later one) and the next page of a list, from the
/// API answer's `next_cursor`.
pub fn pagination(here: &str, answer: &serde_json::Value, later: bool) -> Markup {
    let next = match &answer["next_cursor"] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if next.is_none() && !later {
        return Markup::new();
    }
    let first = if later {
        html!(
            "<div class=\"govuk-pagination__prev\"><a class=\"govuk-link govuk-pagination__link\" href=\"{}\" rel=\"prev\"><span class=\"govuk-pagination__link-title\">First page</span></a></div>",
            here
        )
    } else {
        Markup::new()
    };
    let next = match next {
        Some(cursor) => html!(
            "<div class=\"govuk-pagination__next\"><a class=\"govuk-link govuk-pagination__link\" href=\"{}?after={}\" rel=\"next\"><span class=\"govuk-pagination__link-title\">Next page</span></a></div>",
            here,
            super::seg(&cursor)
        ),
        None => Markup::new(),
    };
    html!(
        "<nav class=\"govuk-pagination govuk-pagination--block\" aria-label=\"Pagination\">{}{}</nav>",
        first,
        next
    )
}
