-- Receipts and revenue per store and calendar day.
-- One row per (day, store) that had at least one receipt.
SELECT
    CAST(r.purchased_at AS DATE) AS day,
    r.store_id,
    s.name AS store_name,
    count(*) AS receipts,
    sum(r.total) AS revenue
FROM raw.receipts AS r
JOIN raw.stores AS s ON s.id = r.store_id
GROUP BY CAST(r.purchased_at AS DATE), r.store_id, s.name
ORDER BY day, store_id
