-- Line items, units and revenue per product category and month.
-- revenue is the sum of quantity * unit_price over the items, so the months of
-- a category add up to the receipts' totals.
SELECT
    CAST(date_trunc('month', r.purchased_at) AS DATE) AS month,
    p.category,
    count(*) AS items,
    CAST(sum(i.quantity) AS BIGINT) AS quantity,
    sum(i.quantity * i.unit_price) AS revenue
FROM raw.receipt_items AS i
JOIN raw.receipts AS r ON r.id = i.receipt_id
JOIN raw.products AS p ON p.id = i.product_id
GROUP BY CAST(date_trunc('month', r.purchased_at) AS DATE), p.category
ORDER BY month, category
