"""The frameworks pages' blueprint, shared by `views` (frameworks, lots, accessions, awards) and
`social_views` (social action plans and subcontracting), which registers its routes on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("frameworks", __name__)
