"""Evaluation batches (考评批次) of an institution and the examiners assigned to them."""
