"""The violations register (违规记录): violations of notice §三(五) rules 3–7 recorded against
an examiner, and major incidents reported during a batch (notice §四(二)); the city centre of
the examiner's city or the province confirms or dismisses each. The model is
:class:`portal.renewals.models.Violation`; confirmed violations of rules 3–7 feed the renewal
term report through :func:`portal.renewals.queries.term_records`."""
