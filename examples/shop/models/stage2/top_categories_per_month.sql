-- The three categories with the highest revenue in each month, rank 1 first.
-- Ties in revenue are broken by category name, so the ranking is stable.
SELECT
    month,
    rank,
    category,
    revenue
FROM (
    SELECT
        month,
        category,
        revenue,
        row_number() OVER (PARTITION BY month ORDER BY revenue DESC, category) AS rank
    FROM stage1.sales_per_category
) AS ranked
WHERE rank <= 3
ORDER BY month, rank
