"""Database: SQLAlchemy 2.0 models, engine/session, Alembic migrations, seed data."""
