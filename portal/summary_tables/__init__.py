"""Attachment 2 of the notice, "四川省技能人才评价考评员资格培训（复核）汇总表": one form for the
qualification workflow (notice §二(三)2–3) and for renewal (notice §三(四)3). What both
workflows share lives here — the form's columns and numbering (:mod:`.rules`), the reviewing
offices, the listing and the PDF and XLSX of a table (:mod:`.shared`). Each workflow keeps its
own rows, candidates and moves (:mod:`portal.applications.summary`,
:mod:`portal.renewals.summary`).
"""
