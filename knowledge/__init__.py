"""The knowledge base: extracted plan facts stored in SQL and the queries the chatbot asks.

``models`` holds the tables, ``db`` the engine and schema upgrades, ``ingest`` the file →
database path, ``queries`` the read side and ``cli`` the command line (``python -m knowledge``).
Agency names are canonicalised by ``document_parsing.agency_names``, shared with extraction.
"""
