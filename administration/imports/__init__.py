"""Staff files: a référent imports people and their rights from a CSV or xlsx file.

``files`` reads and writes spreadsheets (no meaning attached), ``rows`` knows the columns and
classifies each row before anything changes, ``batches`` keeps the classified file until it is
applied (through ``accounts.services``) or cancelled, and writes the report.
"""
