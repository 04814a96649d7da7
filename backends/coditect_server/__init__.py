"""The tenant API server (FastAPI over PostgreSQL).

Not built yet: issue [6/6] delivers it; ``coditect serve`` says so until then.
"""
