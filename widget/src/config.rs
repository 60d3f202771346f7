//! The configuration the loader passes to `mount` (see
//! docs/internal-contracts.md, "Loader → widget").

use crate::flow::{Audience, Flow};
use crate::i18n;
use manyi_shared::json::{self, JsonError, Value};
use manyi_shared::{Context, DisplayMode, SiteKey, Survey};
use std::sync::Arc;

/// Whether the page runs inside WeChat: its in-app browser
/// (`MicroMessenger` in the user agent) or a mini-program web-view
/// (`miniProgram` in the user agent, or `window.__wxjs_environment` set to
/// `miniprogram`).
pub fn is_wechat(user_agent: &str, wxjs_environment: Option<&str>) -> bool {
    // Byte windows rather than `str::contains`: no pattern searcher or
    // lowercase copy in the WebAssembly.
    let has = |needle: &[u8]| {
        user_agent
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    has(b"micromessenger") || has(b"miniprogram") || wxjs_environment == Some("miniprogram")
}

/// `mount`'s `config_json`. Unknown fields are ignored so an older widget
/// keeps working with a newer loader.
#[derive(Debug, Clone)]
pub struct MountConfig {
    /// Collector base URL without a trailing slash, e.g. `https://c.example`.
    pub collector: String,
    /// The site's public key.
    pub site: SiteKey,
    /// The published survey definition.
    pub survey: Survey,
    /// Order, customer, channel, page, … from the host page.
    pub context: Context,
    /// The merchant backend's signature.
    pub sig: Option<String>,
    /// Requested locale tag (BCP 47), if any.
    pub locale: Option<String>,
    /// Requested placement: `inline`, `bottom_sheet` or `modal`.
    pub mode: Option<String>,
}

impl MountConfig {
    /// Parses the loader's JSON.
    pub fn parse(text: &str) -> Result<Self, JsonError> {
        let Value::Object(mut m) = json::parse(text)? else {
            return Err(JsonError::new("the config must be an object"));
        };
        let mut take = |key: &str| m.remove(key).unwrap_or(Value::Null);
        let text = |v: Value| match v {
            Value::String(s) => Some(s),
            _ => None,
        };
        Ok(Self {
            collector: text(take("collector"))
                .ok_or_else(|| JsonError::new("collector: expected a string"))?,
            site: SiteKey::parse(text(take("site")).unwrap_or_default())?,
            survey: Survey::from_json(take("survey"))?,
            context: match take("context") {
                Value::Null => Context::default(),
                v => Context::from_json(v)?,
            },
            sig: text(take("sig")),
            locale: text(take("locale")),
            mode: text(take("mode")),
        })
    }

    /// Placement: the loader's request, else the survey's setting.
    pub fn display_mode(&self) -> DisplayMode {
        match self.mode.as_deref() {
            Some("inline") => DisplayMode::Inline,
            Some("bottom_sheet") => DisplayMode::BottomSheet,
            Some("modal") => DisplayMode::Modal,
            _ => self.survey.display.mode,
        }
    }

    /// The CSS class of the widget root for the placement, and the
    /// placement's name (the root's `data-mode` attribute).
    pub fn mode_class(&self) -> (&'static str, &'static str) {
        match self.display_mode() {
            DisplayMode::Inline => ("mq mq-inline", "inline"),
            DisplayMode::BottomSheet => ("mq mq-sheet", "bottom_sheet"),
            DisplayMode::Modal => ("mq mq-modal", "modal"),
            DisplayMode::Auto => ("mq mq-auto", "auto"),
        }
    }

    /// Adapts to WeChat's in-app browser or a mini-program web-view: the
    /// channel becomes `wechat` unless the page named a specific one (a
    /// missing or generic `web` channel is replaced), and an overlay (no
    /// inline target, no explicit `mode`) becomes a bottom sheet.
    pub fn adapt_to_wechat(&mut self) {
        if matches!(self.context.channel.as_deref(), None | Some("" | "web")) {
            self.context.channel = Some("wechat".into());
        }
        if self.mode.is_none() && self.survey.display.mode != DisplayMode::Inline {
            self.mode = Some("bottom_sheet".into());
        }
    }

    /// Collector base URL + `path` (e.g. `/v1/responses`).
    pub fn url(&self, path: &str) -> String {
        [self.collector.trim_end_matches('/'), path].concat()
    }

    /// The brand colour if it is a plain `#rrggbb` (see [`manyi_shared::Theme`]).
    pub fn brand_color(&self) -> Option<&str> {
        self.survey.theme.safe_brand_color()
    }

    /// Whether text on the brand colour must be black rather than white.
    pub fn dark_on_brand(&self) -> bool {
        self.survey.theme.dark_text_on_brand()
    }

    /// Starts the flow for this configuration.
    pub fn into_flow(self) -> Flow {
        let locale = i18n::choose_locale(self.locale.as_deref(), &self.survey);
        let audience = Audience {
            site: self.site,
            context: self.context,
            sig: self.sig,
        };
        Flow::new(Arc::new(self.survey), locale, audience)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use manyi_shared::Locale;

    fn config(extra: &str) -> MountConfig {
        let survey = include_str!("../../collector/seed/post-payment.json");
        let json = [
            r#"{"collector":"http://127.0.0.1:8080/","site":"demo","survey":"#,
            survey,
            r#","context":{"order_id":"A1","channel":"web"},"sig":null"#,
            extra,
            "}",
        ]
        .concat();
        MountConfig::parse(&json).expect("config parses")
    }

    #[test]
    fn parses_the_loader_config() {
        let c = config(r#","locale":"en","mode":"inline","future_field":1"#);
        assert_eq!(c.display_mode(), DisplayMode::Inline);
        assert_eq!(c.url("/v1/responses"), "http://127.0.0.1:8080/v1/responses");
        assert_eq!(c.brand_color(), Some("#d9480f"));
        assert_eq!(c.into_flow().locale(), Locale::En);
    }

    #[test]
    fn text_on_the_brand_colour_is_black_where_white_would_not_read() {
        let mut c = config("");
        // White on #d9480f is 4.3:1 (axe: color-contrast), black 4.9:1.
        assert!(c.dark_on_brand());
        for (color, dark) in [
            ("#1f6feb", false),
            ("#c2410c", false),
            ("#ffd60a", true),
            ("#000000", false),
        ] {
            c.survey.theme.brand_color = color.into();
            assert_eq!(c.dark_on_brand(), dark, "{color}");
        }
    }

    #[test]
    fn missing_mode_and_locale_fall_back_to_the_survey() {
        let c = config(r#","locale":null,"mode":"sideways""#);
        assert_eq!(c.display_mode(), DisplayMode::Auto);
        assert_eq!(c.into_flow().locale(), Locale::ZhCn);
    }

    #[test]
    fn wechat_is_recognised_by_user_agent_or_mini_program_flag() {
        let wx = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130 Mobile \
                  Safari/537.36 MicroMessenger/8.0.50.2701(0x28003252) NetType/WIFI";
        assert!(is_wechat(wx, None));
        assert!(is_wechat("… miniProgram/wx123", None));
        assert!(is_wechat("Mozilla/5.0", Some("miniprogram")));
        assert!(!is_wechat("Mozilla/5.0 Chrome/130", None));
        assert!(!is_wechat("Mozilla/5.0", Some("browser")));
    }

    #[test]
    fn in_wechat_a_generic_channel_becomes_wechat_and_overlays_become_sheets() {
        let mut c = config("");
        c.adapt_to_wechat();
        assert_eq!(c.context.channel.as_deref(), Some("wechat"));
        assert_eq!(c.display_mode(), DisplayMode::BottomSheet);
        assert_eq!(c.mode_class().1, "bottom_sheet");

        let mut c = config(r#","mode":"inline""#);
        c.context.channel = Some("sms".into());
        c.adapt_to_wechat();
        assert_eq!(
            c.context.channel.as_deref(),
            Some("sms"),
            "a specific channel stays"
        );
        assert_eq!(c.display_mode(), DisplayMode::Inline, "inline stays inline");
    }

    #[test]
    fn odd_brand_colours_are_ignored() {
        let mut c = config("");
        c.survey.theme.brand_color = "red;}*{display:none".into();
        assert_eq!(c.brand_color(), None);
    }
}
