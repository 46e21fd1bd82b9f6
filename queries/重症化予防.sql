-- 題名: 糖尿病性腎症重症化予防の候補者 (個人の一覧。外部に出さない)
-- 説明: 年度内の健診で HbA1c 6.5% 以上または空腹時血糖 126 mg/dl 以上、かつ 服薬2 (血糖) が「いいえ」の人。腎機能 (eGFR 45 未満または尿蛋白 + 以上) の該当も示す。1 人 1 行 (年度内で最後の受診日)。
-- パラメータ: fy = 年度 (例: 2025)
-- テーブル: 被保険者 = 被保険者マスタ
-- テーブル: 健診結果 = 健診結果
WITH 値 AS (
  SELECT 被保険者キー AS キー, 受診日,
         max(CASE WHEN 測定項目(項目コード) = 'HbA1c' THEN CAST(結果値 AS REAL) END) AS HbA1c,
         max(CASE WHEN 測定項目(項目コード) = '空腹時血糖' THEN CAST(結果値 AS REAL) END) AS 空腹時血糖,
         max(CASE WHEN 測定項目(項目コード) = 'eGFR' THEN CAST(結果値 AS REAL) END) AS eGFR,
         max(CASE WHEN 測定項目(項目コード) = '尿蛋白' THEN CAST(結果値 AS INTEGER) END) AS 尿蛋白,
         max(CASE WHEN 測定項目(項目コード) = '服薬2(血糖)' THEN 結果値 END) AS 服薬2
  FROM 健診結果
  WHERE 年度(受診日) = :fy AND 測定項目(項目コード) IN ('HbA1c', '空腹時血糖', 'eGFR', '尿蛋白', '服薬2(血糖)')
  GROUP BY 1, 2
),
最後 AS (
  SELECT v.* FROM 値 v
  WHERE v.受診日 = (SELECT max(w.受診日) FROM 値 w WHERE w.キー = v.キー)
)
SELECT m.保険者番号, m.被保険者証記号, m.被保険者証番号, m.枝番, m.氏名カナ, m.氏名, m.性別,
       年度末年齢(m.生年月日, :fy) AS 年度末年齢, l.受診日, l.HbA1c, l.空腹時血糖, l.eGFR, l.尿蛋白,
       CASE WHEN l.eGFR < 45 OR l.尿蛋白 >= 3 THEN '該当' ELSE '' END AS 腎機能
FROM 最後 l JOIN 被保険者 m ON m.被保険者キー = l.キー
WHERE (l.HbA1c >= 6.5 OR l.空腹時血糖 >= 126) AND l.服薬2 = '2'
ORDER BY m.被保険者キー
