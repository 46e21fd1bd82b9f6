-- 題名: 受診率 (保険者 × 性別 × 年齢階級、法定報告と同じ数え方。保険者ごとの計つき)
-- 説明: 分母は法定報告対象 (年度を通じて加入、年度末 40〜74 歳、告示の除外なし)、分子はそのうち年度内に健診結果のある人。
-- パラメータ: fy = 年度 (例: 2025)
-- テーブル: 被保険者 = 被保険者マスタ
-- テーブル: 健診結果 = 健診結果
-- テーブル: 除外 = 除外事由 (任意)
WITH 除外者 AS (
  SELECT DISTINCT 被保険者キー AS キー FROM 除外 WHERE 除外期間(開始日, 終了日, :fy) = 1
),
対象 AS (
  SELECT m.被保険者キー AS キー, substr(m.被保険者キー, 1, 8) AS 保険者, m.性別 AS 性別,
         年齢階級(報告年齢(m.生年月日, :fy)) AS 階級
  FROM 被保険者 m LEFT JOIN 除外者 x ON x.キー = m.被保険者キー
  WHERE 法定報告対象(m.生年月日, m.資格取得日, m.資格喪失日, :fy, x.キー IS NOT NULL) = 1
),
受診 AS (
  SELECT DISTINCT 被保険者キー AS キー FROM 健診結果 WHERE 年度(受診日) = :fy
),
明細 AS (
  SELECT t.保険者, t.性別, t.階級, count(*) AS 対象者数, count(j.キー) AS 受診者数
  FROM 対象 t LEFT JOIN 受診 j ON j.キー = t.キー
  GROUP BY t.保険者, t.性別, t.階級
)
SELECT 保険者番号表記(保険者) AS 保険者番号, 性別, 階級 AS 年齢階級, 対象者数, 受診者数, 受診率(受診者数, 対象者数) AS 受診率
FROM 明細
UNION ALL
SELECT 保険者番号表記(保険者), '計', '計', sum(対象者数), sum(受診者数), 受診率(sum(受診者数), sum(対象者数))
FROM 明細 GROUP BY 保険者
ORDER BY 1, 2, 3
