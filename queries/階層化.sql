-- 題名: 階層化の結果 (保険者 × 保健指導レベルの件数。保険者ごとの計つき)
-- 説明: kk-stratify の出力 (健診 1 件 1 行) を年度内の受診日で数える。
-- パラメータ: fy = 年度 (例: 2025)
-- テーブル: 階層化結果 = 階層化結果 (kk-stratify の出力)
WITH 明細 AS (
  SELECT 保険者番号, 保健指導レベル, count(*) AS 件数
  FROM 階層化結果 WHERE 年度(受診日) = :fy GROUP BY 1, 2
)
SELECT 保険者番号, 保健指導レベル, 件数 FROM 明細
UNION ALL
SELECT 保険者番号, '計', sum(件数) FROM 明細 GROUP BY 1
ORDER BY 1, 2
