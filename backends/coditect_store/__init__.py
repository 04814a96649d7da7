"""The SQLAlchemy 2 async store (SQLite via aiosqlite) behind the Backend contract."""
