//! The hosted page's HTML: the survey form, and the one-message pages
//! (thank you, already answered, not found, bad link, error).
//!
//! Plain string building. Every value that is not a literal of this file —
//! survey texts, ids, the customer's own answers, link parameters — goes
//! through [`esc`], which is safe both in element content and inside
//! double-quoted attributes. The brand colour is used only when it is
//! exactly `#rrggbb`.
//!
//! Phones first: a viewport meta, one column no wider than 640 px, system
//! CJK fonts, every tap target at least 44 px high and wide, native radio
//! buttons and checkboxes (styled, never replaced), and no script at all.

use manyi_shared::survey::OTHER_OPTION;
use manyi_shared::{ErrorCode, Locale, Question, QuestionKind, Survey, ValidationError, rules};
use std::fmt::Write as _;

use super::form::{FormData, OTHER_SUFFIX};
use super::text::{
    Text, at_most, condition_hint, error_message, localized, satisfaction_labels, text,
};

/// The colour used when a survey's is not `#rrggbb`.
const DEFAULT_BRAND: &str = "#1f6feb";

/// Escapes `s` for HTML element content and double- or single-quoted
/// attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The survey's brand colour when it is a plain `#rrggbb`, else the default.
fn brand(survey: Option<&Survey>) -> &str {
    survey
        .and_then(|s| s.theme.safe_brand_color())
        .unwrap_or(DEFAULT_BRAND)
}

/// The text colour on the brand colour: black where white would fail WCAG AA.
fn on_brand(survey: Option<&Survey>) -> &'static str {
    if survey.is_some_and(|s| s.theme.dark_text_on_brand()) {
        "#000"
    } else {
        "#fff"
    }
}

const STYLE: &str = "*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\
body{margin:0;background:#f4f5f7;color:#1f2328;font:16px/1.55 -apple-system,BlinkMacSystemFont,\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Micro Hei\",system-ui,\"Segoe UI\",Roboto,sans-serif}\
html[lang=zh-TW] body{font-family:-apple-system,BlinkMacSystemFont,\"PingFang TC\",\"Microsoft JhengHei\",\"Noto Sans CJK TC\",\"Source Han Sans TC\",system-ui,sans-serif}\
main{max-width:640px;margin:0 auto;padding:12px}\
.card{background:#fff;border-radius:12px;padding:20px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
h1{font-size:1.3rem;line-height:1.35;margin:0 0 6px}\
.intro{color:#57606a;margin:0 0 18px}\
.banner{background:#ffebe9;border:1px solid #ffb3ad;color:#82071e;border-radius:8px;padding:10px 12px;margin:0 0 18px}\
.banner a{color:inherit}\
fieldset{border:0;margin:0 0 24px;padding:0;min-width:0}\
fieldset.bad{border-left:3px solid #cf222e;padding-left:10px}\
legend{font-weight:600;padding:0;margin:0 0 8px;width:100%}\
.n{color:#57606a;font-weight:400}\
.req{color:#cf222e}\
.hint,.help,.ends{color:#57606a;font-size:.875rem;margin:0 0 8px}\
.hint{font-style:italic}\
.err{color:#cf222e;font-size:.9rem;font-weight:600;margin:0 0 8px}\
.scale{display:grid;grid-template-columns:repeat(auto-fit,minmax(44px,1fr));gap:6px}\
.scale.rows{grid-template-columns:1fr}\
.pt{position:relative;display:block;margin:0}\
.pt input{position:absolute;opacity:0;width:1px;height:1px;margin:0}\
.pt span{display:flex;align-items:center;justify-content:center;min-height:44px;padding:6px 10px;border:1px solid #d0d7de;border-radius:8px;background:#fff;cursor:pointer;text-align:center}\
.scale.rows .pt span{justify-content:flex-start;text-align:left}\
.pt input:checked+span{background:var(--brand);border-color:var(--brand);color:var(--on);font-weight:600}\
.pt input:focus-visible+span,.opt input:focus-visible{outline:2px solid var(--brand);outline-offset:2px}\
.ends{display:flex;justify-content:space-between;gap:12px;margin:6px 0 0}\
.opt{display:flex;align-items:center;gap:12px;min-height:44px;padding:8px 12px;margin:0 0 6px;border:1px solid #d0d7de;border-radius:8px;cursor:pointer}\
.opt input{width:22px;height:22px;margin:0;flex:none;accent-color:var(--brand)}\
input[type=text],textarea{display:block;width:100%;min-height:44px;padding:10px 12px;border:1px solid #d0d7de;border-radius:8px;font:inherit;color:inherit;background:#fff}\
textarea{min-height:112px;resize:vertical}\
.other{margin:0 0 6px}\
input[type=text]:focus,textarea:focus{outline:2px solid var(--brand);outline-offset:1px}\
button{display:block;width:100%;min-height:48px;border:0;border-radius:8px;background:var(--brand);color:var(--on);font:inherit;font-size:1.05rem;font-weight:600;cursor:pointer}\
.msg{text-align:center;padding:32px 8px}\
.msg p{color:#57606a;margin:8px 0 0}";

/// The document around `body`.
fn document(locale: Locale, title: &str, survey: Option<&Survey>, body: &str) -> String {
    styled_document(locale, title, survey, "", body)
}

/// The document around `body`, with `extra_style` (a literal of the
/// caller, never user input) after this page's stylesheet: other
/// server-rendered pages (the verification page) share the look.
pub(crate) fn styled_document(
    locale: Locale,
    title: &str,
    survey: Option<&Survey>,
    extra_style: &str,
    body: &str,
) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1,viewport-fit=cover\">\
<meta name=\"robots\" content=\"noindex,nofollow\"><meta name=\"format-detection\" content=\"telephone=no\">\
<title>{title}</title><style>:root{{--brand:{brand_color};--on:{on}}}{STYLE}{extra_style}</style></head>\
<body><main><div class=\"card\">{body}</div></main></body></html>",
        lang = locale.tag(),
        title = esc(title),
        brand_color = brand(survey),
        on = on_brand(survey),
    )
}

/// A page with a heading and one sentence (thank you, already answered,
/// errors), in the survey's colours when there is a survey.
pub fn message_page(
    survey: Option<&Survey>,
    locale: Locale,
    heading: &str,
    message: &str,
) -> String {
    let body = format!(
        "<div class=\"msg\" role=\"status\"><h1>{}</h1><p>{}</p></div>",
        esc(heading),
        esc(message)
    );
    document(locale, heading, survey, &body)
}

/// The thank-you page: the survey's title and its thank-you text.
pub fn thank_you_page(survey: &Survey, locale: Locale) -> String {
    message_page(
        Some(survey),
        locale,
        localized(&survey.thank_you, locale, survey),
        localized(&survey.title, locale, survey),
    )
}

/// One of the fixed pages of [`Text`] (heading, body).
pub fn fixed_page(survey: Option<&Survey>, locale: Locale, heading: Text, message: Text) -> String {
    message_page(survey, locale, text(locale, heading), text(locale, message))
}

/// What the survey form shows.
#[derive(Debug, Clone, Copy)]
pub struct FormPage<'a> {
    /// The survey.
    pub survey: &'a Survey,
    /// The page's locale.
    pub locale: Locale,
    /// The form's `action` (relative, so the page works behind a path prefix).
    pub action: &'a str,
    /// Hidden fields (name, value).
    pub hidden: &'a [(&'static str, String)],
    /// The customer's answers so far (empty on first display).
    pub values: &'a FormData,
    /// Validation problems to show next to their questions.
    pub errors: &'a [ValidationError],
}

/// The survey as a form.
pub fn form_page(page: &FormPage<'_>) -> String {
    let FormPage { survey, locale, .. } = *page;
    let mut b = String::new();
    let title = localized(&survey.title, locale, survey);
    let _ = write!(b, "<h1>{}</h1>", esc(title));
    if let Some(intro) = &survey.intro {
        let _ = write!(
            b,
            "<p class=\"intro\">{}</p>",
            esc(localized(intro, locale, survey))
        );
    }
    if !page.errors.is_empty() {
        banner(&mut b, page);
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"{}\" accept-charset=\"utf-8\">",
        esc(page.action)
    );
    for (name, value) in page.hidden {
        let _ = write!(
            b,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(name),
            esc(value)
        );
    }
    for (i, q) in survey.questions.iter().enumerate() {
        question(&mut b, page, i, q);
    }
    let _ = write!(
        b,
        "<button type=\"submit\">{}</button></form>",
        esc(text(locale, Text::Submit))
    );
    document(locale, title, Some(survey), &b)
}

/// The banner above a form with errors: a summary, links to the questions,
/// and the problems that belong to no question.
fn banner(b: &mut String, page: &FormPage<'_>) {
    let locale = page.locale;
    let _ = write!(
        b,
        "<div class=\"banner\" role=\"alert\"><strong>{}</strong>",
        esc(text(locale, Text::FixErrors))
    );
    let general: Vec<&ValidationError> = page
        .errors
        .iter()
        .filter(|e| page.survey.question(&e.question).is_none())
        .collect();
    for e in general {
        let _ = write!(b, "<br>{}", esc(error_message(locale, e.code)));
    }
    b.push_str("</div>");
}

/// One question as a fieldset: number, text, required mark, follow-up
/// hint, help, the error messages, then the inputs.
fn question(b: &mut String, page: &FormPage<'_>, index: usize, q: &Question) {
    let FormPage {
        survey,
        locale,
        values,
        ..
    } = *page;
    let id = q.id.as_str();
    let errors: Vec<ErrorCode> = page
        .errors
        .iter()
        .filter(|e| e.question == id)
        .map(|e| e.code)
        .collect();
    let _ = write!(
        b,
        "<fieldset id=\"q-{id}\"{bad}{described}><legend id=\"l-{id}\"><span class=\"n\">{n}.</span> {t}",
        id = esc(id),
        bad = if errors.is_empty() {
            ""
        } else {
            " class=\"bad\""
        },
        described = if errors.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"e-{}\"", esc(id))
        },
        n = index + 1,
        t = esc(localized(&q.text, locale, survey)),
    );
    if q.required {
        let _ = write!(
            b,
            " <span class=\"req\" aria-label=\"{r}\" title=\"{r}\">*</span>",
            r = esc(text(locale, Text::Required))
        );
    }
    b.push_str("</legend>");
    if let Some(cond) = &q.show_if {
        let _ = write!(
            b,
            "<p class=\"hint\">{}</p>",
            esc(&condition_hint(survey, cond, locale))
        );
    }
    if let Some(help) = &q.help {
        let _ = write!(
            b,
            "<p class=\"help\">{}</p>",
            esc(localized(help, locale, survey))
        );
    }
    if !errors.is_empty() {
        let messages: Vec<String> = errors
            .iter()
            .map(|c| esc(error_message(locale, *c)))
            .collect();
        let _ = write!(
            b,
            "<p class=\"err\" id=\"e-{}\">{}</p>",
            esc(id),
            messages.join("<br>")
        );
    }
    // Native validation helps only where it is always right: a required
    // question that is always shown.
    let native_required = q.required && q.show_if.is_none();
    match &q.kind {
        QuestionKind::SingleChoice {
            options,
            allow_other,
        } => {
            for o in options {
                choice(
                    b,
                    "radio",
                    id,
                    o.id.as_str(),
                    localized(&o.label, locale, survey),
                    values.has(id, o.id.as_str()),
                    native_required,
                );
            }
            if *allow_other {
                other(b, page, "radio", id);
            }
        }
        QuestionKind::MultiChoice {
            options,
            allow_other,
            max_selections,
        } => {
            if let Some(max) = max_selections {
                let _ = write!(b, "<p class=\"help\">{}</p>", esc(&at_most(locale, *max)));
            }
            for o in options {
                choice(
                    b,
                    "checkbox",
                    id,
                    o.id.as_str(),
                    localized(&o.label, locale, survey),
                    values.has(id, o.id.as_str()),
                    false,
                );
            }
            if *allow_other {
                other(b, page, "checkbox", id);
            }
        }
        QuestionKind::Text {
            max_length,
            multiline,
            placeholder,
        } => {
            let placeholder = placeholder
                .as_ref()
                .map(|p| format!(" placeholder=\"{}\"", esc(localized(p, locale, survey))))
                .unwrap_or_default();
            let value = values.get(id).unwrap_or("");
            let required = if native_required { " required" } else { "" };
            if *multiline {
                let _ = write!(
                    b,
                    "<textarea name=\"{id}\" aria-labelledby=\"l-{id}\" maxlength=\"{max_length}\" rows=\"4\"{placeholder}{required}>{v}</textarea>",
                    id = esc(id),
                    v = esc(value),
                );
            } else {
                let _ = write!(
                    b,
                    "<input type=\"text\" name=\"{id}\" aria-labelledby=\"l-{id}\" maxlength=\"{max_length}\" value=\"{v}\"{placeholder}{required}>",
                    id = esc(id),
                    v = esc(value),
                );
            }
        }
        kind => scale(b, page, q, kind, native_required),
    }
    b.push_str("</fieldset>");
}

/// A rating scale as a row of radio buttons. Scales with a label per point
/// (CSAT, Likert) are one row per point, the label next to the number;
/// NPS and CES show their end labels under the row.
fn scale(b: &mut String, page: &FormPage<'_>, q: &Question, kind: &QuestionKind, required: bool) {
    let FormPage {
        survey,
        locale,
        values,
        ..
    } = *page;
    let id = q.id.as_str();
    let Some((lo, hi)) = kind.scale() else { return };
    let point_labels: Vec<String> = match kind {
        QuestionKind::Csat { labels } => labels
            .as_ref()
            .map(|ls| {
                ls.iter()
                    .map(|l| localized(l, locale, survey).to_owned())
                    .collect()
            })
            .unwrap_or_else(|| {
                satisfaction_labels(locale, 5)
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            }),
        QuestionKind::Likert { points, labels } => labels
            .as_ref()
            .map(|ls| {
                ls.iter()
                    .map(|l| localized(l, locale, survey).to_owned())
                    .collect()
            })
            .unwrap_or_else(|| {
                satisfaction_labels(locale, *points)
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            }),
        _ => Vec::new(),
    };
    let rows = !point_labels.is_empty();
    let selected = values.get(id).map(str::trim);
    let _ = write!(
        b,
        "<div class=\"scale{}\">",
        if rows { " rows" } else { "" }
    );
    for (i, n) in (lo..=hi).enumerate() {
        let label = match point_labels.get(i) {
            Some(l) => format!("{n} · {}", esc(l)),
            None => n.to_string(),
        };
        let checked = selected == Some(n.to_string().as_str());
        let _ = write!(
            b,
            "<label class=\"pt\"><input type=\"radio\" name=\"{id}\" value=\"{n}\"{c}{r}><span>{label}</span></label>",
            id = esc(id),
            c = if checked { " checked" } else { "" },
            r = if required && i == 0 { " required" } else { "" },
        );
    }
    b.push_str("</div>");
    let ends = match kind {
        QuestionKind::Nps {
            low_label,
            high_label,
        } => Some((
            low_label
                .as_ref()
                .map_or(text(locale, Text::NotLikely), |l| {
                    localized(l, locale, survey)
                }),
            high_label
                .as_ref()
                .map_or(text(locale, Text::VeryLikely), |l| {
                    localized(l, locale, survey)
                }),
        )),
        QuestionKind::Ces { .. } => Some((
            text(locale, Text::VeryDifficult),
            text(locale, Text::VeryEasy),
        )),
        _ => None,
    };
    if let Some((low, high)) = ends {
        let _ = write!(
            b,
            "<p class=\"ends\" aria-hidden=\"true\"><span>{lo} = {}</span><span>{hi} = {}</span></p>",
            esc(low),
            esc(high)
        );
    }
}

/// One option of a choice question.
fn choice(
    b: &mut String,
    input: &str,
    name: &str,
    value: &str,
    label: &str,
    checked: bool,
    required: bool,
) {
    let _ = write!(
        b,
        "<label class=\"opt\"><input type=\"{input}\" name=\"{n}\" value=\"{v}\"{c}{r}><span>{l}</span></label>",
        n = esc(name),
        v = esc(value),
        l = esc(label),
        c = if checked { " checked" } else { "" },
        r = if required { " required" } else { "" },
    );
}

/// The "other" option and its free-text field.
fn other(b: &mut String, page: &FormPage<'_>, input: &str, id: &str) {
    let locale = page.locale;
    let field = format!("{id}{OTHER_SUFFIX}");
    choice(
        b,
        input,
        id,
        OTHER_OPTION,
        text(locale, Text::Other),
        page.values.has(id, OTHER_OPTION),
        false,
    );
    let _ = write!(
        b,
        "<input class=\"other\" type=\"text\" name=\"{f}\" maxlength=\"{max}\" value=\"{v}\" placeholder=\"{p}\" aria-label=\"{a}\">",
        f = esc(&field),
        max = rules::OTHER_TEXT_MAX_CHARS,
        v = esc(page.values.get(&field).unwrap_or("")),
        p = esc(text(locale, Text::OtherPlaceholder)),
        a = esc(text(locale, Text::Other)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Survey {
        crate::seed::demo_survey().expect("demo survey")
    }

    #[test]
    fn escaping_covers_markup_and_both_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn only_plain_hex_colours_reach_the_stylesheet() {
        let mut s = demo();
        assert_eq!(brand(Some(&s)), "#d9480f");
        s.theme.brand_color = "red;}</style><script>".into();
        assert_eq!(brand(Some(&s)), DEFAULT_BRAND);
    }

    #[test]
    fn text_on_the_brand_colour_keeps_aa_contrast() {
        let mut s = demo();
        // White on the demo's #d9480f is 4.29:1: buttons and chosen ratings use black.
        assert_eq!(on_brand(Some(&s)), "#000");
        let page = document(Locale::En, "t", Some(&s), "");
        assert!(page.contains(":root{--brand:#d9480f;--on:#000}"), "{page}");
        s.theme.brand_color = "#1f6feb".into();
        assert_eq!(on_brand(Some(&s)), "#fff");
        assert_eq!(on_brand(None), "#fff");
    }

    #[test]
    fn the_form_keeps_answers_and_escapes_them() {
        let s = demo();
        let values = FormData::from_pairs([
            ("nps", "4"),
            ("reason", "price"),
            ("comment", "</textarea><b>"),
        ]);
        let errors = [ValidationError::new("reason", ErrorCode::Required, "x")];
        let html = form_page(&FormPage {
            survey: &s,
            locale: Locale::ZhCn,
            action: "post-payment",
            hidden: &[("_order", "A\"1".to_owned())],
            values: &values,
            errors: &errors,
        });
        assert!(html.contains("name=\"nps\" value=\"4\" checked"));
        assert!(html.contains("value=\"price\" checked"));
        assert!(html.contains("&lt;/textarea&gt;&lt;b&gt;</textarea>"));
        assert!(html.contains("value=\"A&quot;1\""));
        assert!(html.contains("请完成标出的问题"));
        assert!(!html.contains("<script"));
    }
}
