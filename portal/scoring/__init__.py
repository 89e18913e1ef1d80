"""Per-batch examiner evaluation (notice Attachment 4): rubric, sheets and scoring."""
