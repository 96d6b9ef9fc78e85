"""Exports: the answers of the query routes as CSV, HXL-tagged CSV, XLSX, JSON and NDJSON.

The rows come from the same Reader answers the JSON routes give (so every filter, ``as_of``
and the one redaction rule of projections/redaction.py apply unchanged); ``rows`` flattens
them, one small module per format writes them, ``negotiate`` picks the format.
"""
