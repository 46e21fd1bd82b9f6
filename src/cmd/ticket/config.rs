//! ticket.toml (docs/ticket.md): 有効期限, the co-payments and the issuing body per insurer, the
//! serial ranges, the paper and notes of the printed ticket, and the output layouts. Without a
//! config every default applies and any insurer is accepted.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::Date;
use serde::Deserialize;

use super::data::TicketField;
use crate::domain::money::Copay;
use crate::domain::text::normalize_code;
use crate::domain::{FiscalYear, InsurerNumber, MAX_SERIAL};
use crate::error::{Error, Result};
use crate::io::Encoding;
use crate::io::columns::{self, Column, Format};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// 受診券 settings that apply to every insurer unless its own section says otherwise
    #[serde(default)]
    pub checkup: Defaults,
    /// 利用券 settings, likewise
    #[serde(default)]
    pub guidance: Defaults,
    /// the printed ticket
    #[serde(default)]
    pub print: Print,
    /// per 保険者番号
    #[serde(default)]
    pub insurer: BTreeMap<String, Insurer>,
    /// the 受診券データ layout; default: the 25 columns of docs/ticket.md
    #[serde(default)]
    pub checkup_output: Option<Output>,
    /// the 利用券データ layout; default: the 20 columns of docs/ticket.md
    #[serde(default)]
    pub guidance_output: Option<Output>,
}

/// Settings an insurer's section may override.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// 有効期限 as `MM-DD` within the fiscal year (`10-31` → 31 October of the year's first
    /// calendar year, `03-31` → the year's last day); default the 31 March that ends the year
    #[serde(default)]
    pub valid_until: Option<String>,
    /// 契約取りまとめ機関名
    #[serde(default)]
    pub coordinator: Option<String>,
    /// 支払代行機関番号 (8 digits)
    #[serde(default)]
    pub payment_agent: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insurer {
    /// the issuing body's name on the printed ticket (市町村名・保険者名)
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// 窓口負担: 基本, 詳細, 追加, 人間ドック; 利用券
    #[serde(default)]
    pub basic: Option<CopaySpec>,
    #[serde(default)]
    pub detail: Option<CopaySpec>,
    #[serde(default)]
    pub other: Option<CopaySpec>,
    #[serde(default)]
    pub dock: Option<CopaySpec>,
    /// 人間ドック 保険者負担上限額 (yen)
    #[serde(default)]
    pub dock_limit: Option<i64>,
    #[serde(default)]
    pub guidance_copay: Option<CopaySpec>,
    /// the serials this insurer's numbers take, `[first, last]` (the federation issues for many
    /// insurers); default: one range 1–99,999,999 shared by every insurer without its own
    #[serde(default)]
    pub serials: Option<[u32; 2]>,
    /// 受診券 numbers get kind digit 5 (初回面接 on the checkup day): the 利用券 then carries the
    /// same number
    #[serde(default)]
    pub same_day_interview: bool,
    #[serde(default)]
    pub checkup: Defaults,
    #[serde(default)]
    pub guidance: Defaults,
}

/// A co-payment as the contracts layout writes it: 種別 1–4 and 値 (yen for 2 and 4, percent
/// for 3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopaySpec {
    pub kind: u8,
    #[serde(default)]
    pub value: Option<toml::Value>,
}

/// The printed ticket.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Print {
    /// `a4` (default) or `postcard` (100 × 148 mm)
    #[serde(default)]
    pub paper: Option<String>,
    /// lines printed under the fields (注意事項)
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    #[serde(default = "csv")]
    pub format: Format,
    /// sjis, utf8, utf8-bom; default: as `--output-encoding`, else the master's
    #[serde(default)]
    pub encoding: Option<String>,
    /// CSV: write a header row (default true)
    #[serde(default = "yes")]
    pub header: bool,
    pub columns: Vec<Column<TicketField>>,
}

fn csv() -> Format {
    Format::Csv
}
fn yes() -> bool {
    true
}

/// Paper sizes in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Paper {
    A4,
    Postcard,
}

/// What one insurer's tickets carry, resolved from its section and the defaults.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub name: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub basic: Option<Copay>,
    pub detail: Option<Copay>,
    pub other: Option<Copay>,
    pub dock: Option<Copay>,
    pub dock_limit: Option<i64>,
    pub guidance_copay: Option<Copay>,
    /// MM-DD of 有効期限 (None: 31 March)
    pub checkup_valid: Option<(i8, i8)>,
    pub guidance_valid: Option<(i8, i8)>,
    pub checkup_coordinator: String,
    pub guidance_coordinator: String,
    pub checkup_agent: String,
    pub guidance_agent: String,
    pub serials: (u32, u32),
    pub same_day: bool,
}

impl Resolved {
    /// 有効期限 of fiscal year `fy`: MM-DD from April to December fall in the year's first
    /// calendar year, January to March in the next.
    pub fn valid_until(&self, fy: FiscalYear, guidance: bool) -> Date {
        let md = if guidance { self.guidance_valid } else { self.checkup_valid };
        match md {
            None => fy.last_day(),
            Some((m, d)) => {
                let year = if m >= 4 { fy.0 } else { fy.0 + 1 };
                // checked when the config was loaded (29 February falls back to 28)
                Date::new(year, m, d).unwrap_or_else(|_| Date::new(year, m, 28).unwrap_or(fy.last_day()))
            }
        }
    }
}

/// The loaded config: every insurer's settings resolved, and whether insurers must be listed.
pub struct Loaded {
    pub config: Config,
    pub path: Option<std::path::PathBuf>,
    insurers: BTreeMap<String, Resolved>,
    default: Resolved,
}

impl Loaded {
    /// No config: defaults for every insurer.
    pub fn none() -> Loaded {
        let default = Resolved { serials: (1, MAX_SERIAL), ..Resolved::default() };
        Loaded { config: Config::default(), path: None, insurers: BTreeMap::new(), default }
    }

    pub fn load(path: &Path) -> Result<Loaded> {
        let bad = |detail: String| Error::Config { path: path.into(), detail };
        let config: Config = crate::io::toml_file(path, "日本語のキーは引用符で囲んでください: ", bad)?;
        for (name, out) in [("checkup_output", &config.checkup_output), ("guidance_output", &config.guidance_output)] {
            if let Some(o) = out {
                if let Some(p) = columns::problem(o.format, &o.columns) {
                    return Err(bad(format!("{name}.{p}")));
                }
                if let Some(e) = &o.encoding {
                    e.parse::<Encoding>().map_err(|d| bad(format!("{name}.encoding: {d}")))?;
                }
            }
        }
        if let Some(p) = &config.print.paper
            && !matches!(p.as_str(), "a4" | "postcard")
        {
            return Err(bad(format!("print.paper = \"{p}\" は使えません (a4 または postcard)")));
        }
        let default = resolve(&config, None, &bad)?;
        let mut insurers = BTreeMap::new();
        let mut ranges: Vec<(u32, u32, &str)> = Vec::new();
        for (number, section) in &config.insurer {
            let n = normalize_code(number);
            InsurerNumber::check(&n)
                .map_err(|e| bad(format!("insurer.\"{number}\": 保険者番号が正しくありません ({e})")))?;
            let r = resolve(&config, Some((number, section)), &bad)?;
            if section.serials.is_some() {
                ranges.push((r.serials.0, r.serials.1, number));
            }
            // 6 and 8 digits name one insurer (`130013` = `00130013`), as in a person key
            insurers.insert(format!("{n:0>8}"), r);
        }
        if !ranges.is_empty() && ranges.len() != config.insurer.len() {
            return Err(bad(
                "serials を指定するときは、すべての [insurer.\"…\"] に指定してください (範囲が重ならないように)".into(),
            ));
        }
        ranges.sort();
        for w in ranges.windows(2) {
            if w[1].0 <= w[0].1 {
                return Err(bad(format!(
                    "insurer.\"{}\" と insurer.\"{}\" の serials が重なっています",
                    w[0].2, w[1].2
                )));
            }
        }
        Ok(Loaded { config, path: Some(path.into()), insurers, default })
    }

    /// The settings of insurer `number` (normalized, 6 or 8 digits); None when a config is
    /// given and does not name it.
    pub fn insurer(&self, number: &str) -> Option<&Resolved> {
        match self.path {
            None => Some(&self.default),
            Some(_) if number.len() == 8 => self.insurers.get(number),
            Some(_) => self.insurers.get(&format!("{number:0>8}")),
        }
    }

    pub fn paper(&self) -> Paper {
        if self.config.print.paper.as_deref() == Some("postcard") { Paper::Postcard } else { Paper::A4 }
    }
}

fn resolve(config: &Config, section: Option<(&String, &Insurer)>, bad: &dyn Fn(String) -> Error) -> Result<Resolved> {
    let empty = Insurer::default();
    let (label, ins) = match section {
        Some((n, s)) => (format!("insurer.\"{n}\""), s),
        None => (String::new(), &empty),
    };
    let copay = |what: &str, spec: &Option<CopaySpec>| -> Result<Option<Copay>> {
        let Some(spec) = spec else { return Ok(None) };
        let value = match &spec.value {
            None => String::new(),
            Some(toml::Value::Integer(i)) => i.to_string(),
            Some(toml::Value::Float(f)) => f.to_string(),
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => return Err(bad(format!("{label}.{what}.value は数か文字列です"))),
        };
        Copay::parse(&spec.kind.to_string(), &value)
            .map(Some)
            .map_err(|e| bad(format!("{label}.{what}: 窓口負担が正しくありません ({e})")))
    };
    let md = |what: &str, v: &Option<String>| -> Result<Option<(i8, i8)>> {
        let Some(v) = v else { return Ok(None) };
        let parsed = v.split_once('-').and_then(|(m, d)| Some((m.parse::<i8>().ok()?, d.parse::<i8>().ok()?)));
        match parsed {
            Some((m, d)) if Date::new(2024, m, d).is_ok() => Ok(Some((m, d))),
            _ => Err(bad(format!("{what} = \"{v}\" は MM-DD で書いてください (例 \"10-31\")"))),
        }
    };
    let pick = |own: &Option<String>, shared: &Option<String>| own.clone().or_else(|| shared.clone());
    let agent = |what: &str, v: Option<String>| -> Result<String> {
        let v = v.unwrap_or_default();
        if !v.is_empty() && (v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad(format!("{what}.payment_agent は8桁の数字です")));
        }
        Ok(v)
    };
    let serials = match ins.serials {
        None => (1, MAX_SERIAL),
        Some([a, b]) if 1 <= a && a <= b && b <= MAX_SERIAL => (a, b),
        Some(_) => return Err(bad(format!("{label}.serials は [最初, 最後] で 1〜99999999 です"))),
    };
    Ok(Resolved {
        name: ins.name.clone().unwrap_or_default(),
        postal_code: ins.postal_code.clone().unwrap_or_default(),
        address: ins.address.clone().unwrap_or_default(),
        phone: ins.phone.clone().unwrap_or_default(),
        basic: copay("basic", &ins.basic)?,
        detail: copay("detail", &ins.detail)?,
        other: copay("other", &ins.other)?,
        dock: copay("dock", &ins.dock)?,
        dock_limit: match ins.dock_limit {
            Some(v) if v < 0 => return Err(bad(format!("{label}.dock_limit は0以上の円です"))),
            v => v,
        },
        guidance_copay: copay("guidance_copay", &ins.guidance_copay)?,
        checkup_valid: md("valid_until", &pick(&ins.checkup.valid_until, &config.checkup.valid_until))?,
        guidance_valid: md("valid_until", &pick(&ins.guidance.valid_until, &config.guidance.valid_until))?,
        checkup_coordinator: pick(&ins.checkup.coordinator, &config.checkup.coordinator).unwrap_or_default(),
        guidance_coordinator: pick(&ins.guidance.coordinator, &config.guidance.coordinator).unwrap_or_default(),
        checkup_agent: agent("checkup", pick(&ins.checkup.payment_agent, &config.checkup.payment_agent))?,
        guidance_agent: agent("guidance", pick(&ins.guidance.payment_agent, &config.guidance.payment_agent))?,
        serials,
        same_day: ins.same_day_interview,
    })
}
