"""Evaluation batches: list, create, assign examiners, record answers."""

from flask import Blueprint

bp = Blueprint("batches", __name__, url_prefix="/batches")
