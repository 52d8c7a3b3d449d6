-- Retention by first-purchase cohort: users are grouped by the month of their
-- first receipt (cohort_month); for each later month, active_users counts the
-- cohort's users with a receipt in it.  months_since_first = 0 is the cohort's
-- size.
WITH first_month AS (
    SELECT user_id, min(month) AS cohort_month
    FROM stage1.monthly_spend_per_user
    GROUP BY user_id
)
SELECT
    f.cohort_month,
    date_diff('month', f.cohort_month, m.month) AS months_since_first,
    count(*) AS active_users
FROM stage1.monthly_spend_per_user AS m
JOIN first_month AS f ON f.user_id = m.user_id
GROUP BY f.cohort_month, date_diff('month', f.cohort_month, m.month)
ORDER BY cohort_month, months_since_first
