//! What `kk-xml read --errors` lists: the checks the V08 schemas do not make (notes/MHLW-XML.md
//! §0.7), each with the file, line and item where it was found.

crate::codes! {
    /// A check of a V08 file's content.
    pub enum XCheck {
        /// 保険者番号 check digit (a warning: the public samples use the dummy 99999999).
        InsurerDigit = "X101", "保険者番号が正しくありません (桁数・検証番号、またはダミー番号)";
        /// 健診機関番号 check digit (a warning).
        InstitutionDigit = "X102", "健診機関番号が正しくありません (桁数・検証番号、または見本用のダミー番号)";
        /// 受診券整理番号 not 11 digits.
        Ticket = "X103", "受診券整理番号が11桁の数字ではありません";
        /// A date that is not YYYYMMDD or not a day.
        Date = "X104", "日付 (YYYYMMDD) として正しくありません";
        /// 性別 not 1 or 2.
        Sex = "X105", "性別コードが 1 / 2 ではありません";
        /// The value's xsi:type disagrees with the item master.
        ValueType = "X106", "値の型が項目マスタと違います";
        /// An item code the 2024 master does not have (the name is taken from displayName).
        UnknownItem = "X107", "項目マスタにない項目コードです (項目名は displayName)";
        /// A 以上/以下 qualifier the long CSV cannot keep.
        Qualifier = "X108", "以上/以下の修飾は CSV に残りません (値だけを出力)";
        /// A PQ value that does not fit the master's format (NNN.N): too many digits, not a number.
        Range = "X109", "結果値が項目マスタの桁 (フォーマット) に合いません";
        /// The archive's root folder is not 提出元10_提出先8_YYYYMMDDN_実施区分.
        RootName = "X201", "ルートフォルダの名前が「提出元10桁_提出先8桁_作成日8桁+連番_実施区分」ではありません";
        /// A file outside the layout (ix08, su08, DATA/, CLAIMS/, XSD/).
        Outside = "X202", "様式にないファイルです";
        /// An entry name that points outside the archive (refused).
        Escape = "X203", "アーカイブの外を指す項目名です (.. や絶対パス。展開しません)";
        /// No ix08_V08.xml.
        NoIndex = "X204", "交換用基本情報 ix08_V08.xml がありません";
        /// ix08 totalRecordCount differs from the DATA and CLAIMS files present.
        RecordCount = "X205", "ix08 の totalRecordCount が DATA と CLAIMS のファイル数と違います";
        /// su08 totals differ from the claims.
        SummaryTotal = "X206", "su08 の合計が CLAIMS の請求の合計と違います";
        /// A DATA file without its CLAIMS partner, or the reverse.
        Unpaired = "X207", "DATA と CLAIMS の対になるファイルがありません";
        /// The same 受診券整理番号 in two checkups.
        DuplicateTicket = "X208", "同じ受診券整理番号 (と保険者番号) の健診が2件以上あります";
        /// CLAIMS without su08_V08.xml.
        NoSummary = "X209", "CLAIMS があるのに集計情報 su08_V08.xml がありません";
        /// Not valid against its official schema (check --schema, xmllint's words as the value).
        Schema = "X210", "公式のスキーマ (XSD) に合いません";
        /// check --tickets: the checkup's 受診券整理番号 was never issued (kk-ticket's ledger).
        TicketUnknown = "X211", "受診券整理番号が整理番号台帳にありません";
        /// check --tickets: the number was issued to another person.
        TicketOtherPerson = "X212", "受診券整理番号は整理番号台帳では別の人の番号です";
        /// check --tickets: the number was issued for another fiscal year.
        TicketOtherYear = "X213", "受診券整理番号は整理番号台帳では別の年度の番号です";
        /// write: a mandatory item (master CASE01) is missing; the checkup is not written.
        MissingRequired = "X301", "必須の項目がありません (この健診は書き出しません)";
        /// write: 9N501/9N506 were missing and were computed by the 階層化 rule.
        Computed = "X302", "メタボ判定・保健指導レベルがないため、階層化の規則で求めて書き出しました";
        /// write: no row of the headers file for this checkup.
        NoHeader = "X303", "見出し情報 (--headers) にこの健診がありません (氏名カナ・住所などなしで書き出します)";
        /// write: a claim whose checkup is not in the results.
        LoneClaim = "X304", "この請求の健診結果がありません (書き出しません)";
        /// write: a claim the cc08 schema would refuse; the checkup is not written.
        BadClaim = "X305", "請求の内容が様式に合いません (この健診は書き出しません)";
    }
}

impl XCheck {
    /// 警告 (the row is still usable), エラー (the data must be fixed) or 整合性 (the archive does
    /// not hold together: `check` exits 3).
    pub fn severity(self) -> &'static str {
        match self {
            XCheck::InsurerDigit
            | XCheck::InstitutionDigit
            | XCheck::UnknownItem
            | XCheck::Qualifier
            | XCheck::Outside
            | XCheck::Computed
            | XCheck::NoHeader => "警告",
            XCheck::Escape | XCheck::RecordCount | XCheck::SummaryTotal => "整合性",
            _ => "エラー",
        }
    }
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    /// 警告, エラー or 整合性: the check's own unless the place lowers it ([`Finding::warning`])
    pub severity: &'static str,
    pub file: String,
    pub line: u64,
    pub item: String,
    pub check: XCheck,
    pub value: String,
}

impl Finding {
    pub fn new(file: &str, line: u64, item: &str, check: XCheck, value: &str) -> Finding {
        Finding {
            severity: check.severity(),
            file: file.to_string(),
            line,
            item: item.to_string(),
            check,
            value: value.to_string(),
        }
    }

    /// The same finding as a warning (`read` lists archive-level findings at most as warnings).
    pub fn warning(mut self) -> Finding {
        self.severity = "警告";
        self
    }

    /// The same finding as an error (`write` refuses what `read` only warns about).
    pub fn error(mut self) -> Finding {
        self.severity = "エラー";
        self
    }

    /// The row of the findings list ([`crate::layout::XML_FINDINGS`]).
    pub fn fields(&self) -> [String; 7] {
        [
            self.file.clone(),
            self.line.to_string(),
            self.item.clone(),
            self.check.code().to_string(),
            self.severity.to_string(),
            self.check.message().to_string(),
            self.value.clone(),
        ]
    }
}
