-- 性別ごとの人数 (Shift_JIS で保存した SQL)
SELECT 性別, count(*) AS 人数 FROM m WHERE 氏名カナ LIKE '%ア%' GROUP BY 1
