"""The knowledge base: extracted plan facts stored in SQL and the queries the chatbot asks.

``models`` holds the tables, ``db`` the engine and schema upgrades, ``agencies`` the agency
name canonicalisation, ``ingest`` the file → database path, ``queries`` the read side and
``cli`` the command line (``python -m knowledge``).  Modules are imported lazily so that
``knowledge.agencies`` can be used without SQLAlchemy.
"""
