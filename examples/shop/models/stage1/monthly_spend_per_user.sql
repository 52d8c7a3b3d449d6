-- What each user spent per month (receipt totals, tax included).
-- One row per (month, user) with at least one receipt; month is the first day
-- of the month.
SELECT
    CAST(date_trunc('month', r.purchased_at) AS DATE) AS month,
    r.user_id,
    count(*) AS receipts,
    sum(r.total) AS spend
FROM raw.receipts AS r
GROUP BY CAST(date_trunc('month', r.purchased_at) AS DATE), r.user_id
ORDER BY month, user_id
