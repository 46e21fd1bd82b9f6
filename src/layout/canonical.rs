//! The canonical input layouts (SPEC §2): each file kind's header names in output order, which
//! are required, and the field indices the tools use.

/// One canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// A required column must be present (its values may still be allowed to be empty).
    pub required: bool,
}

const fn req(name: &'static str) -> Field {
    Field { name, required: true }
}
const fn opt(name: &'static str) -> Field {
    Field { name, required: false }
}

/// A canonical layout: its name (for messages) and its columns in output order.
#[derive(Debug)]
pub struct Layout {
    pub name: &'static str,
    pub fields: &'static [Field],
}

impl Layout {
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.name)
    }
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// 被保険者マスタ. Field indices are the constants in [`insured`].
pub static INSURED: Layout = Layout { name: "被保険者マスタ", fields: INSURED_DIFF_FIELDS.split_at(13).0 };

/// The person key columns of the master (保険者番号, 記号, 番号, 枝番), when nothing else is needed.
pub static MASTER_KEYS: Layout = Layout { name: "被保険者マスタ", fields: INSURED_DIFF_FIELDS.split_at(4).0 };

const INSURED_DIFF_FIELDS: &[Field] = &[
    req("保険者番号"),
    opt("被保険者証記号"),
    req("被保険者証番号"),
    opt("枝番"),
    req("氏名カナ"),
    req("氏名"),
    req("性別"),
    req("生年月日"),
    req("資格取得日"),
    opt("資格喪失日"),
    opt("世帯番号"),
    opt("郵便番号"),
    opt("住所"),
    req("異動区分"),
    req("異動日"),
];

/// 異動データ: the insured columns plus 異動区分 and 異動日.
pub static INSURED_DIFF: Layout = Layout { name: "異動データ", fields: INSURED_DIFF_FIELDS };

/// Column indices of [`INSURED`] and [`INSURED_DIFF`].
pub mod insured {
    pub const INSURER: usize = 0;
    pub const KIGO: usize = 1;
    pub const BANGO: usize = 2;
    pub const EDABAN: usize = 3;
    pub const KANA: usize = 4;
    pub const NAME: usize = 5;
    pub const SEX: usize = 6;
    pub const BIRTH: usize = 7;
    pub const ACQUIRED: usize = 8;
    pub const LOST: usize = 9;
    pub const HOUSEHOLD: usize = 10;
    pub const POSTCODE: usize = 11;
    pub const ADDRESS: usize = 12;
    pub const CHANGE_KIND: usize = 13;
    pub const CHANGE_DATE: usize = 14;
}

/// 世帯課税状況.
pub static HOUSEHOLD_TAX: Layout = Layout {
    name: "世帯課税状況",
    fields: &[req("保険者番号"), req("世帯番号"), req("年度"), req("課税区分"), req("更新日")],
};

/// Column indices of [`HOUSEHOLD_TAX`].
pub mod household_tax {
    pub const INSURER: usize = 0;
    pub const HOUSEHOLD: usize = 1;
    pub const YEAR: usize = 2;
    pub const STATUS: usize = 3;
    pub const UPDATED: usize = 4;
}

/// The part of a master that `kk-import tax` needs: which households exist.
pub static MASTER_HOUSEHOLDS: Layout =
    Layout { name: "被保険者マスタ", fields: &[req("保険者番号"), req("世帯番号")] };

/// 契約. `*` in 健診機関番号 or 保険者番号 matches any.
pub static CONTRACTS: Layout = Layout {
    name: "契約",
    fields: &[
        req("健診機関番号"),
        req("保険者番号"),
        req("契約区分"),
        req("開始日"),
        req("終了日"),
        req("基本単価"),
        req("詳細単価"),
        req("追加単価"),
        req("追加項目上限数"),
        opt("追加項目コード"),
        req("窓口負担種別"),
        req("窓口負担値"),
        opt("端数単位"),
        opt("非課税世帯免除"),
    ],
};

/// Column indices of [`CONTRACTS`].
pub mod contracts {
    pub const INSTITUTION: usize = 0;
    pub const INSURER: usize = 1;
    pub const KIND: usize = 2;
    pub const START: usize = 3;
    pub const END: usize = 4;
    pub const BASE: usize = 5;
    pub const DETAIL: usize = 6;
    pub const ADDITIONAL: usize = 7;
    pub const MAX_ADDITIONAL: usize = 8;
    pub const ADDITIONAL_CODES: usize = 9;
    pub const COPAY_TYPE: usize = 10;
    pub const COPAY_VALUE: usize = 11;
    pub const ROUNDING: usize = 12;
    pub const EXEMPT: usize = 13;
}

/// 請求データ.
pub static CLAIMS: Layout = Layout {
    name: "請求データ",
    fields: &[
        opt("処理年月"),
        req("健診機関番号"),
        req("保険者番号"),
        req("受診券整理番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("受診日"),
        opt("契約区分"),
        req("基本単価"),
        req("詳細項目数"),
        req("詳細単価合計"),
        req("追加項目数"),
        opt("追加項目コード"),
        req("追加単価合計"),
        req("窓口負担額"),
        req("請求金額"),
    ],
};

/// Column indices of [`CLAIMS`].
pub mod claims {
    pub const MONTH: usize = 0;
    pub const INSTITUTION: usize = 1;
    pub const INSURER: usize = 2;
    pub const TICKET: usize = 3;
    pub const KIGO: usize = 4;
    pub const BANGO: usize = 5;
    pub const EDABAN: usize = 6;
    pub const DATE: usize = 7;
    pub const KIND: usize = 8;
    pub const BASE: usize = 9;
    pub const DETAIL_COUNT: usize = 10;
    pub const DETAIL_TOTAL: usize = 11;
    pub const ADDITIONAL_COUNT: usize = 12;
    pub const ADDITIONAL_CODES: usize = 13;
    pub const ADDITIONAL_TOTAL: usize = 14;
    pub const COPAY: usize = 15;
    pub const CLAIM: usize = 16;
}

/// 健診結果 (long form, one row per observed item).
pub static RESULTS: Layout = Layout {
    name: "健診結果",
    fields: &[
        opt("受診券整理番号"),
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("性別"),
        req("生年月日"),
        req("健診機関番号"),
        req("受診日"),
        req("項目コード"),
        opt("項目名"),
        req("結果値"),
        opt("単位"),
    ],
};

/// kk-xml write --headers: the key columns a headers row is matched by (the rest are read by name).
pub static XML_KEYS: Layout = Layout {
    name: "見出し情報",
    fields: &[
        opt("受診券整理番号"),
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("受診日"),
    ],
};

/// 特定保健指導 実施状況 (kk-statutory summary --guidance): one row per person guided.
pub static GUIDANCE: Layout = Layout {
    name: "特定保健指導",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("支援区分"),
        opt("初回面接日"),
        opt("実績評価日"),
    ],
};

/// Column indices of [`RESULTS`].
pub mod results {
    pub const TICKET: usize = 0;
    pub const INSURER: usize = 1;
    pub const KIGO: usize = 2;
    pub const BANGO: usize = 3;
    pub const EDABAN: usize = 4;
    pub const SEX: usize = 5;
    pub const BIRTH: usize = 6;
    pub const INSTITUTION: usize = 7;
    pub const DATE: usize = 8;
    pub const CODE: usize = 9;
    pub const NAME: usize = 10;
    pub const VALUE: usize = 11;
    pub const UNIT: usize = 12;
}

/// anomalies.csv (kk-gen): what was planted, where, and the code a tool must report.
pub const ANOMALIES: [&str; 5] = ["ファイル", "行番号", "列名", "期待コード", "説明"];

/// The part of 健診結果 that kk-limitcheck needs: which items a ticket's results hold.
pub static RESULT_ITEMS: Layout =
    Layout { name: "健診結果", fields: &[req("受診券整理番号"), req("項目コード")] };

/// The part of a master that maps a person to a household.
pub static MASTER_PERSON_HOUSEHOLD: Layout = Layout {
    name: "被保険者マスタ",
    fields: &[req("保険者番号"), opt("被保険者証記号"), req("被保険者証番号"), opt("枝番"), req("世帯番号")],
};

/// 決定データ (monthly, per insurer × institution × category).
pub static DECIDED: Layout = Layout {
    name: "決定データ",
    fields: &[
        req("処理年月"),
        req("保険者番号"),
        req("健診機関番号"),
        req("区分"),
        req("件数"),
        req("請求金額"),
        req("窓口負担額"),
        req("保険者負担額"),
        req("事務手数料"),
    ],
};

/// Column indices of [`DECIDED`].
pub mod decided {
    pub const MONTH: usize = 0;
    pub const INSURER: usize = 1;
    pub const INSTITUTION: usize = 2;
    pub const CATEGORY: usize = 3;
    pub const COUNT: usize = 4;
    pub const BILLED: usize = 5;
    pub const COPAY: usize = 6;
    pub const INSURER_SHARE: usize = 7;
    pub const FEE: usize = 8;
}

/// 保険者一覧.
pub static INSURERS: Layout = Layout {
    name: "保険者一覧",
    fields: &[req("保険者番号"), req("保険者名"), opt("郵便番号"), opt("住所"), opt("担当部署")],
};

/// 健診機関一覧 (kk-finance `--institutions`: the names the invoices print).
pub static INSTITUTIONS: Layout =
    Layout { name: "健診機関一覧", fields: &[req("健診機関番号"), req("健診機関名")] };

/// The part of 健診結果 that tells who was examined when.
pub static RESULT_PERSONS: Layout = Layout {
    name: "健診結果",
    fields: &[req("保険者番号"), opt("被保険者証記号"), req("被保険者証番号"), opt("枝番"), req("受診日")],
};

/// 除外事由.
pub static EXCLUSIONS: Layout = Layout {
    name: "除外事由",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("除外事由"),
        req("開始日"),
        opt("終了日"),
    ],
};

/// 情報提供票等データ管理システム出力.
pub static INFO_STATUS: Layout = Layout {
    name: "情報提供票等データ管理システム出力",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("氏名カナ"),
        req("生年月日"),
        req("資格状態"),
        req("結果登録状態"),
        opt("基準日"),
    ],
};

/// 補助対象項目.
pub static SUBSIDY_ITEMS: Layout = Layout {
    name: "補助対象項目",
    fields: &[req("項目コード"), req("項目名"), req("補助区分"), req("補助単価")],
};

/// The part of 健診結果 that kk-subsidy needs.
pub static RESULT_ITEMS_FULL: Layout = Layout {
    name: "健診結果",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("受診日"),
        req("健診機関番号"),
        req("項目コード"),
    ],
};

/// The part of 健診結果 that kk-statutory erasures needs: whose record, which ticket, when.
pub static RESULT_RECORDS: Layout = Layout {
    name: "健診結果",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("受診日"),
        opt("受診券整理番号"),
    ],
};

/// 整理番号台帳 (kk-ticket `--ledger`): every 受診券・利用券 number issued, one line per person,
/// 年度 and 種別 (1 受診券 / 2 利用券 積極的支援 / 3 利用券 動機付け支援).
pub static TICKET_LEDGER: Layout = Layout {
    name: "整理番号台帳",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("年度"),
        req("種別"),
        req("整理番号"),
        req("交付日"),
    ],
};

/// 階層化結果 as kk-ticket guidance reads it (kk-stratify's output).
pub static LEVELS: Layout = Layout {
    name: "階層化結果",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("受診日"),
        opt("受診券整理番号"),
        req("保健指導レベル"),
    ],
};

/// MANIFEST.csv (kk-anonymize `--zip`): what was sent.
pub static MANIFEST: Layout = Layout {
    name: "送付ファイル一覧(MANIFEST)",
    fields: &[req("ファイル名"), req("件数"), opt("SHA-256")],
};

/// 受領結果, returned by the recipient of the statutory report.
pub static RECEIPT: Layout = Layout {
    name: "受領結果",
    fields: &[req("ファイル名"), req("件数"), opt("受領日"), req("受領結果"), opt("返戻理由")],
};

/// Every canonical layout, for recognising a header name kk knows.
pub static ALL_LAYOUTS: &[&Layout] = &[
    &INSURED_DIFF,
    &HOUSEHOLD_TAX,
    &CONTRACTS,
    &CLAIMS,
    &RESULTS,
    &DECIDED,
    &INSURERS,
    &INSTITUTIONS,
    &EXCLUSIONS,
    &INFO_STATUS,
    &SUBSIDY_ITEMS,
    &MANIFEST,
    &RECEIPT,
    &GUIDANCE,
    &TICKET_LEDGER,
];
