"""The one authoritative case store: SQLAlchemy models, sessions, queries and migrations."""
