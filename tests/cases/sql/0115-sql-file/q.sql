-- 性別ごとの人数 (コメントから始まる SQL のファイル)
SELECT 性別,
       count(*) AS 人数
FROM m
GROUP BY 1;
