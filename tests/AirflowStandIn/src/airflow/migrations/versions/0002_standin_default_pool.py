"""
The default pool (utils/db.py add_default_pool_if_not_exists), as a second revision of the stand-in's chain.

Revision ID: 9c3e4f1a2b60
Revises: 5a1c0e2b7d41
Create Date: 2026-12-03
"""

from __future__ import annotations

# revision identifiers, used by Alembic.
revision = "9c3e4f1a2b60"
down_revision = "5a1c0e2b7d41"
branch_labels = None
depends_on = None

airflow_version = "3.0.3"
