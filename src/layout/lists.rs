//! The headers of the lists kk writes (SPEC §2 "Output layouts"): people read these.

/// チェックリスト (kk-limitcheck).
pub const LIMIT_CHECKLIST: [&str; 10] = [
    "行番号",
    "受診券整理番号",
    "健診機関番号",
    "保険者番号",
    "受診日",
    "チェックコード",
    "チェック内容",
    "期待値",
    "実際値",
    "差額",
];

/// 請求書一覧 (kk-finance `invoices.csv`).
pub const INVOICE_LIST: [&str; 11] = [
    "請求書番号",
    "保険者番号",
    "保険者名",
    "処理年月",
    "発行日",
    "支払期限",
    "件数",
    "保険者負担額",
    "事務手数料",
    "消費税",
    "請求額",
];

/// チェックリスト (kk-unexamined check).
pub const UNEXAMINED_CHECKLIST: [&str; 10] = [
    "行番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "チェックコード",
    "チェック内容",
    "当システム値",
    "連携先値",
    "元ファイル",
];

/// 補助金対象者リスト (kk-subsidy, one row per subsidised item received).
pub const SUBSIDY_LIST: [&str; 12] = [
    "行番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "受診日",
    "健診機関番号",
    "項目コード",
    "項目名",
    "補助区分",
    "補助単価",
    "集計",
];

/// 補助金集計 (kk-subsidy --summary, per insurer × item).
pub const SUBSIDY_SUMMARY: [&str; 7] = ["保険者番号", "項目コード", "項目名", "補助区分", "件数", "補助単価", "金額"];

/// 連携エラーリスト (SPEC §2 "Output layouts").
pub const ERROR_LIST: [&str; 9] =
    ["行番号", "保険者番号", "被保険者証記号", "被保険者証番号", "枝番", "列名", "エラーコード", "エラー内容", "値"];

/// 重複リスト.
pub const DUPLICATE_LIST: [&str; 12] = [
    "グループ番号",
    "重複種別",
    "行番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "氏名カナ",
    "生年月日",
    "性別",
    "資格喪失日",
    "元ファイル",
];

/// 法定報告対象者除外者情報 (kk-statutory exclusions).
pub const STATUTORY_EXCLUSIONS: [&str; 15] = [
    "行番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "性別",
    "生年月日",
    "年度末年齢",
    "資格取得日",
    "資格喪失日",
    "除外事由コード",
    "除外事由名",
    "告示区分",
    "除外開始日",
    "除外終了日",
];

/// 抹消者リスト (kk-statutory erasures, one row per result record = person × ticket × 受診日).
pub const ERASURES: [&str; 10] = [
    "行番号",
    "受診券整理番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "受診日",
    "結果行数",
    "抹消事由コード",
    "抹消事由名",
];

/// 法定報告 集計表 (kk-statutory summary).
/// The last two columns only with `--guidance`.
pub const STATUTORY_SUMMARY: [&str; 11] = [
    "保険者番号",
    "性別",
    "年齢階級",
    "対象者数",
    "受診者数",
    "受診率",
    "積極的支援対象者数",
    "動機付け支援対象者数",
    "特定保健指導対象者数",
    "終了者数",
    "実施率",
];

/// 受領済リスト (kk-statutory reconcile).
pub const RECONCILE_LIST: [&str; 7] =
    ["ファイル名", "送付件数", "受領件数", "受領日", "判定コード", "判定", "返戻理由"];

/// 階層化結果 (kk-stratify, one row per checkup).
pub const STRATIFY_LIST: [&str; 21] = [
    "受診券整理番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "性別",
    "生年月日",
    "受診日",
    "年度末年齢",
    "腹囲判定",
    "血圧",
    "脂質",
    "血糖",
    "喫煙",
    "追加リスク数",
    "服薬",
    "階層化",
    "保健指導レベル",
    "メタボ判定",
    "受診勧奨",
    "判定理由",
];

/// kk-xml read --errors: the checks the V08 schemas do not make.
pub const XML_FINDINGS: [&str; 7] = ["ファイル", "行番号", "項目コード", "エラーコード", "区分", "エラー内容", "値"];

/// kk-xml read --headers: one row per checkup with what the long results CSV cannot hold.
pub const XML_HEADERS: [&str; 23] = [
    "受診券整理番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "受診日",
    "氏名カナ",
    "郵便番号",
    "住所",
    "受診券有効期限",
    "健診機関番号",
    "健診機関名",
    "健診機関郵便番号",
    "健診機関住所",
    "健診機関電話番号",
    "作成機関番号",
    "作成機関名",
    "作成機関郵便番号",
    "作成機関住所",
    "作成機関電話番号",
    "報告区分",
    "プログラム種別",
    "作成日",
];

/// kk-xml read --claims: the canonical claims layout ([`super::CLAIMS`]) followed by what a
/// 健診決済情報ファイル (cc08) holds beyond it, so `write` can rebuild the file.
pub const XML_CLAIMS_EXTRA: [&str; 21] = [
    "実施区分",
    "請求区分",
    "委託料単価区分",
    "受診券有効期限",
    "基本負担種別",
    "基本負担値",
    "詳細負担種別",
    "詳細負担値",
    "追加負担種別",
    "追加負担値",
    "ドック負担種別",
    "ドック負担値",
    "ドック保険者負担上限額",
    "詳細項目コード",
    "詳細単価",
    "追加単価",
    "基本窓口負担額",
    "詳細窓口負担額",
    "追加窓口負担額",
    "単価合計額",
    "他制度負担額",
];

/// kk-xml read --guidance: 特定保健指導 (hg08), one row per observation.
pub const XML_GUIDANCE: [&str; 15] = [
    "利用券整理番号",
    "受診券整理番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "性別",
    "生年月日",
    "保健指導機関番号",
    "実施日",
    "報告区分",
    "項目コード",
    "項目名",
    "結果値",
    "単位",
];

/// Every list header, for recognising a header name kk writes.
pub static ALL_LISTS: &[&[&str]] = &[
    &LIMIT_CHECKLIST,
    &INVOICE_LIST,
    &UNEXAMINED_CHECKLIST,
    &SUBSIDY_LIST,
    &SUBSIDY_SUMMARY,
    &ERROR_LIST,
    &DUPLICATE_LIST,
    &STATUTORY_EXCLUSIONS,
    &ERASURES,
    &STATUTORY_SUMMARY,
    &RECONCILE_LIST,
    &STRATIFY_LIST,
    &XML_FINDINGS,
    &XML_HEADERS,
    &XML_GUIDANCE,
    &XML_CLAIMS_EXTRA,
    &super::ANOMALIES,
];
