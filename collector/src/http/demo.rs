//! `GET /demo`: a "payment complete" page that embeds the widget exactly as a
//! customer's page would (script tag + `manyi('show', …)`), rendering the
//! `post-payment` survey inline. `GET /` redirects here for now.
//!
//! Query parameters: `locale` (`zh-CN` default, `zh-TW`, `en`, or any tag
//! [`Locale::negotiate`] understands) and `order` (fixes the order id; tests
//! use it). Without `order` every page load gets a fresh random order id, so
//! the demo can be answered again and again without `already_answered`.

use axum::Router;
use axum::extract::Query;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use manyi_shared::Locale;
use serde::Deserialize;

use super::AppState;

/// The page, with `{{NAME}}` placeholders filled by [`render`].
const TEMPLATE: &str = include_str!("demo.html");

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/demo", get(demo_page))
        .route("/", get(|| async { Redirect::temporary("/demo") }))
        // The demo page stands for a merchant's page: serve it compressed
        // like one, so the widget benchmark measures the widget, not this.
        .layer(tower_http::compression::CompressionLayer::new())
}

/// Query parameters of `/demo`.
#[derive(Debug, Deserialize)]
struct DemoQuery {
    order: Option<String>,
    locale: Option<String>,
}

#[tracing::instrument]
async fn demo_page(Query(query): Query<DemoQuery>) -> impl IntoResponse {
    let locale = query
        .locale
        .as_deref()
        .and_then(Locale::negotiate)
        .unwrap_or(Locale::ZhCn);
    let order_id = match query.order.filter(|o| !o.trim().is_empty()) {
        Some(order) => order,
        None => random_order_id(),
    };
    // no-store: a cached page would reuse its order id, and the second
    // answer would be refused as already answered.
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(render(&order_id, locale)),
    )
}

/// `DEMO-` and 10 random hex digits, e.g. `DEMO-3F9A0C21B7`.
fn random_order_id() -> String {
    let hex = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase();
    format!("DEMO-{}", &hex[..10])
}

/// Page texts in one locale.
struct Texts {
    title: &'static str,
    thanks: &'static str,
    order: &'static str,
    items: &'static str,
    item: &'static str,
    method: &'static str,
    pay: &'static str,
    again: &'static str,
}

fn texts(locale: Locale) -> Texts {
    match locale {
        Locale::ZhCn => Texts {
            title: "支付成功",
            thanks: "感谢您的购买，我们会尽快为您发货。",
            order: "订单号",
            items: "商品",
            item: "满意咖啡豆 250g",
            method: "支付方式",
            pay: "微信支付",
            again: "再下一单",
        },
        Locale::ZhTw => Texts {
            title: "付款成功",
            thanks: "感謝您的購買，我們會盡快為您出貨。",
            order: "訂單編號",
            items: "商品",
            item: "滿意咖啡豆 250g",
            method: "付款方式",
            pay: "微信支付",
            again: "再下一單",
        },
        Locale::En => Texts {
            title: "Payment complete",
            thanks: "Thank you for your order. We will ship it shortly.",
            order: "Order",
            items: "Items",
            item: "Manyi coffee beans 250 g",
            method: "Paid with",
            pay: "WeChat Pay",
            again: "Place another order",
        },
    }
}

/// Fills the template. Single pass over the template, so a value that
/// itself contains `{{…}}` is never substituted again. The order id comes
/// from the query string: it is escaped for each context it lands in.
fn render(order_id: &str, locale: Locale) -> String {
    let t = texts(locale);
    let value = |name: &str| -> Option<String> {
        Some(match name {
            "LANG" => locale.tag().to_owned(),
            "LOCALE_JS" => js_string(locale.tag()),
            "ORDER_ID_HTML" => html_escape(order_id),
            "ORDER_ID_JS" => js_string(order_id),
            "T_TITLE" => t.title.to_owned(),
            "T_THANKS" => t.thanks.to_owned(),
            "T_ORDER" => t.order.to_owned(),
            "T_ITEMS" => t.items.to_owned(),
            "T_ITEM" => t.item.to_owned(),
            "T_METHOD" => t.method.to_owned(),
            "T_PAY" => t.pay.to_owned(),
            "T_AGAIN" => t.again.to_owned(),
            _ => return None,
        })
    };
    let mut out = String::with_capacity(TEMPLATE.len() + 256);
    let mut rest = TEMPLATE;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find("}}")
            .and_then(|end| value(&after[..end]).map(|v| (end, v)))
        {
            Some((end, v)) => {
                out.push_str(&v);
                rest = &after[end + 2..];
            }
            None => {
                // Not a placeholder: keep the braces as they are.
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes text for HTML element content and quoted attribute values.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A JavaScript string literal safe inside an inline `<script>`: JSON
/// string syntax, plus `<`, `>` and `&` escaped so the text can never close
/// the script element or open a comment, and U+2028/U+2029 escaped for old
/// engines that treat them as line ends.
fn js_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        for locale in Locale::ALL {
            let page = render("A1001", locale);
            assert!(!page.contains("{{"), "unfilled placeholder in {locale}");
            assert!(page.contains(r#"orderId: "A1001""#));
            assert!(page.contains(r#"<script async src="/manyi.js" data-site="demo"></script>"#));
            assert!(page.contains(&format!(r#"locale: "{}""#, locale.tag())));
            assert!(page.contains("target: '#survey-slot'"));
        }
    }

    #[test]
    fn order_id_cannot_break_out_of_the_script_or_the_page() {
        let evil = r#"</script><script>alert(1)</script>"'&{{LANG}}"#;
        let page = render(evil, Locale::En);
        assert!(!page.contains("<script>alert"));
        assert!(page.contains(r#"orderId: "\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\"'\u0026{{LANG}}""#));
        assert!(page.contains(
            "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;{{LANG}}"
        ));
    }

    #[test]
    fn js_string_escapes_control_characters() {
        assert_eq!(js_string("a\nb\u{2028}"), r#""a\u000ab\u2028""#);
    }

    #[test]
    fn random_order_ids_differ() {
        let a = random_order_id();
        assert!(a.starts_with("DEMO-") && a.len() == 15);
        assert_ne!(a, random_order_id());
    }
}
