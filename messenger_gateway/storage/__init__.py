"""SQL storage (SQLAlchemy 2 async), migrations and the file store."""
