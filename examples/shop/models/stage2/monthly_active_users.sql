-- Users with at least one receipt in the month, and how many of them are
-- premium subscribers (is_premium as it is now, not as it was then).
SELECT
    m.month,
    count(*) AS active_users,
    count(*) FILTER (WHERE u.is_premium) AS premium_active_users
FROM stage1.monthly_spend_per_user AS m
JOIN raw.users AS u ON u.id = m.user_id
GROUP BY m.month
ORDER BY m.month
