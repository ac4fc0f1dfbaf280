"""The dashboard's pages, one module per concern; each gives a Sanic blueprint under the prefix."""
