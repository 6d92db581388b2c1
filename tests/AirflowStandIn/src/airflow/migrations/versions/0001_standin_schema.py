"""
The stand-in's schema (airflow_standin/db.py SCHEMA), as one revision.

Revision ID: 5a1c0e2b7d41
Revises:
Create Date: 2026-12-03

Laid out as Airflow's own migration scripts are (airflow-core/src/airflow/migrations/versions/*.py: ``revision`` and
``down_revision`` at the top level, the chain ending in the head that ``airflow db migrate`` writes to ``alembic_version``),
so that what reads Airflow's heads from the installed scripts reads the stand-in's the same way. The stand-in never
imports these files: airflow_standin/migrations.py reads them.
"""

from __future__ import annotations

# revision identifiers, used by Alembic.
revision = "5a1c0e2b7d41"
down_revision = None
branch_labels = None
depends_on = None

airflow_version = "3.0.0"
