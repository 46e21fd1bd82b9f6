-- 題名: 未受診者数 (郵便番号の上 3 桁ごと)
-- 説明: 基準日に実施基準の対象者 (kk-unexamined と同じ判定) で、年度内に健診結果のない人を郵便番号の上 3 桁で数える。郵便番号のない人は空欄の行。
-- パラメータ: fy = 年度 (例: 2025)
-- パラメータ: as_of = 基準日 (例: 2025-04-01)
-- テーブル: 被保険者 = 被保険者マスタ
-- テーブル: 健診結果 = 健診結果
-- テーブル: 除外 = 除外事由 (任意)
WITH 除外者 AS (
  SELECT DISTINCT 被保険者キー AS キー FROM 除外 WHERE 除外期間(開始日, 終了日, :fy) = 1
),
受診 AS (
  SELECT DISTINCT 被保険者キー AS キー FROM 健診結果 WHERE 年度(受診日) = :fy
)
SELECT substr(coalesce(m.郵便番号, ''), 1, 3) AS 郵便番号上3桁, count(*) AS 未受診者数
FROM 被保険者 m
  LEFT JOIN 除外者 x ON x.キー = m.被保険者キー
  LEFT JOIN 受診 j ON j.キー = m.被保険者キー
WHERE 特定健診対象(m.生年月日, m.資格取得日, m.資格喪失日, :fy, :as_of, x.キー IS NOT NULL) = 1
  AND j.キー IS NULL
GROUP BY 1
ORDER BY 1
