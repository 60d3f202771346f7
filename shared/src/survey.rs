//! The survey definition: what a marketer publishes and the widget renders.
//!
//! The JSON codec (field names, defaults, strictness) is in [`crate::json`].

use crate::condition::Condition;
use crate::ids::{OptionId, QuestionId, SurveyId};
use crate::locale::{Locale, LocalizedText};

/// A published questionnaire, at one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    /// Stable id used in URLs and the embed call, e.g. `post-payment`.
    pub id: SurveyId,
    /// Version, starting at 1; editing a published survey makes a new version.
    pub version: u32,
    /// The locale used when the requested one has no text.
    pub default_locale: Locale,
    /// Every locale this survey declares; each text must exist in each of them.
    pub locales: Vec<Locale>,
    /// Title shown at the top of the widget.
    pub title: LocalizedText,
    /// Optional line under the title.
    pub intro: Option<LocalizedText>,
    /// Shown after a successful submission.
    pub thank_you: LocalizedText,
    /// Questions in display order. Conditions may refer only to earlier ones.
    pub questions: Vec<Question>,
    /// Colours.
    pub theme: Theme,
    /// How and where the widget is shown.
    pub display: DisplaySettings,
}

impl Survey {
    /// The question with this id, if any.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id.as_str() == id)
    }

    /// Position of the question with this id, if any.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id.as_str() == id)
    }
}

/// Visual theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Brand colour as `#rrggbb`, used for selected answers and the submit button.
    pub brand_color: String,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            brand_color: "#1f6feb".into(),
        }
    }
}

impl Theme {
    /// The brand colour if it is a plain `#rrggbb`. Renderers paste it into
    /// CSS, so anything else is ignored rather than trusted.
    pub fn safe_brand_color(&self) -> Option<&str> {
        let c = self.brand_color.as_str();
        let hex = c.strip_prefix('#')?;
        (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(c)
    }

    /// Whether text on the brand colour must be black rather than white for
    /// WCAG AA contrast: when the colour's relative luminance is above 0.179,
    /// where the two contrast ratios meet (≈4.58:1). sRGB decoding is
    /// approximated as c^2.25 (square roots only: no `pow` in the wasm).
    /// `false` when the colour is not a plain `#rrggbb`.
    pub fn dark_text_on_brand(&self) -> bool {
        let Some(c) = self.safe_brand_color() else {
            return false;
        };
        let b = c.as_bytes();
        // ASCII hex digit → value: '0'..'9' are 0x3_, 'a'..'f'/'A'..'F' have bit 6 set.
        let nibble = |x: u8| f32::from((x & 15) + 9 * (x >> 6));
        let channel = |i: usize| {
            let v = (nibble(b[i]) * 16.0 + nibble(b[i + 1])) / 255.0;
            v * v * v.sqrt().sqrt()
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5) > 0.179
    }
}

#[cfg(test)]
mod theme_tests {
    use super::Theme;

    fn theme(c: &str) -> Theme {
        Theme {
            brand_color: c.into(),
        }
    }

    #[test]
    fn only_plain_hex_colours_are_used() {
        assert_eq!(theme("#D9480f").safe_brand_color(), Some("#D9480f"));
        for bad in ["red", "#fff", "#12345g", "#1234567", "red;}</style>"] {
            assert_eq!(theme(bad).safe_brand_color(), None, "{bad}");
            assert!(!theme(bad).dark_text_on_brand());
        }
    }

    #[test]
    fn text_is_black_where_white_would_not_read() {
        // White on #d9480f is 4.29:1 (fails AA); black is 4.9:1.
        assert!(theme("#d9480f").dark_text_on_brand());
        assert!(theme("#ffffff").dark_text_on_brand());
        assert!(theme("#ffd43b").dark_text_on_brand());
        // The default blue and dark colours keep white text.
        assert!(!theme("#1f6feb").dark_text_on_brand());
        assert!(!theme("#000000").dark_text_on_brand());
        assert!(!theme("#0b5cad").dark_text_on_brand());
    }
}

/// How the widget is placed on the host page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisplayMode {
    /// Bottom sheet on phones and in WeChat, centred modal on desktop.
    #[default]
    Auto,
    /// Inside a host element (`<div data-manyi-survey="ID">`).
    Inline,
    /// A sheet sliding up from the bottom edge.
    BottomSheet,
    /// A centred dialog.
    Modal,
}

/// Display settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplaySettings {
    /// Placement mode.
    pub mode: DisplayMode,
    /// Whether the customer may close the survey without answering.
    pub dismissible: bool,
    /// Show "2 / 5" progress when there is more than one visible question.
    pub show_progress: bool,
    /// Completions faster than this are flagged as too fast (data quality).
    pub min_seconds: Option<u32>,
    /// Estimated completion time shown to respondents and marketers.
    pub estimated_seconds: Option<u32>,
}

impl Default for DisplaySettings {
    fn default() -> Self {
        Self {
            mode: DisplayMode::Auto,
            dismissible: true,
            show_progress: true,
            min_seconds: None,
            estimated_seconds: None,
        }
    }
}

/// SERVQUAL service-quality dimension a question measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    /// Performing the promised service dependably and accurately.
    Reliability,
    /// Willingness to help and provide prompt service.
    Responsiveness,
    /// Knowledge and courtesy of staff, ability to inspire trust.
    Assurance,
    /// Caring, individualised attention.
    Empathy,
    /// Physical facilities, equipment, appearance of staff.
    Tangibles,
}

/// One question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Id, unique within the survey; the key in `answers`.
    pub id: QuestionId,
    /// The question text.
    pub text: LocalizedText,
    /// Optional helper line under the text.
    pub help: Option<LocalizedText>,
    /// A visible required question must be answered.
    pub required: bool,
    /// SERVQUAL dimension, for reports.
    pub dimension: Option<Dimension>,
    /// Shown only when this condition over earlier answers holds.
    pub show_if: Option<Condition>,
    /// The kind of question and its kind-specific settings.
    pub kind: QuestionKind,
}

/// The kinds of question, tagged by `"type"`.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionKind {
    /// Likert agreement/satisfaction scale, 1..=points (5 by default; 7 allowed),
    /// labelled 非常不满意 … 非常满意 unless `labels` overrides them.
    Likert {
        /// Number of points: 5 or 7.
        points: u8,
        /// One label per point, lowest first; default labels when absent.
        labels: Option<Vec<LocalizedText>>,
    },
    /// Net Promoter Score, 0..=10 ("How likely are you to recommend …").
    Nps {
        /// Label under 0.
        low_label: Option<LocalizedText>,
        /// Label under 10.
        high_label: Option<LocalizedText>,
    },
    /// Customer satisfaction, 1..=5 (5 = very satisfied).
    Csat {
        /// One label per point, lowest first; default labels when absent.
        labels: Option<Vec<LocalizedText>>,
    },
    /// Customer effort score, 1..=7 where **7 = very easy** and 1 = very difficult.
    Ces {
        /// The scale direction, stated in the schema so nobody reads it backwards.
        direction: CesDirection,
    },
    /// Pick exactly one option.
    SingleChoice {
        /// The options, in display order.
        options: Vec<ChoiceOption>,
        /// Offer an "other" option with a free-text field.
        allow_other: bool,
    },
    /// Pick one or more options.
    MultiChoice {
        /// The options, in display order.
        options: Vec<ChoiceOption>,
        /// Offer an "other" option with a free-text field.
        allow_other: bool,
        /// At most this many selections (all when absent).
        max_selections: Option<u8>,
    },
    /// Free text.
    Text {
        /// Maximum length in characters (Unicode scalar values), 1..=5000.
        max_length: u32,
        /// Multi-line text area rather than a one-line field.
        multiline: bool,
        /// Placeholder inside the empty field.
        placeholder: Option<LocalizedText>,
    },
}

/// Direction of the CES scale. Only one is supported; it is spelled out so the
/// schema itself documents that 7 means "very easy".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CesDirection {
    /// 1 = very difficult … 7 = very easy.
    #[default]
    SevenIsVeryEasy,
}

/// The reserved option id for the free-text "other" choice.
pub const OTHER_OPTION: &str = "other";

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceOption {
    /// Id sent in the answer.
    pub id: OptionId,
    /// Label shown.
    pub label: LocalizedText,
}

impl QuestionKind {
    /// The inclusive score range for rating kinds, `None` for choice and text.
    pub fn scale(&self) -> Option<(i64, i64)> {
        match self {
            QuestionKind::Likert { points, .. } => Some((1, i64::from(*points))),
            QuestionKind::Nps { .. } => Some((0, 10)),
            QuestionKind::Csat { .. } => Some((1, 5)),
            QuestionKind::Ces { .. } => Some((1, 7)),
            _ => None,
        }
    }

    /// The `type` tag, e.g. `"nps"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            QuestionKind::Likert { .. } => "likert",
            QuestionKind::Nps { .. } => "nps",
            QuestionKind::Csat { .. } => "csat",
            QuestionKind::Ces { .. } => "ces",
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultiChoice { .. } => "multi_choice",
            QuestionKind::Text { .. } => "text",
        }
    }
}
