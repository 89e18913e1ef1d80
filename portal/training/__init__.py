"""Training plans (培训计划), their per-unit quotas, sessions and assessment (notice §二(四)(五))."""
