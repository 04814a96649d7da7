"""Sizes of the store's bounded columns: the one source of truth for the database schema
(coditect_store.schema) and for the models' ``max_length``/``le``, so a value too long for
its column is refused as invalid input naming the field (422 on the API) before it
reaches the database."""

from __future__ import annotations

#: principal names (members, key owners, ``created_by``, audit actors), project names
NAME = 200
#: role names
ROLE = 50
#: repo names
REPO_NAME = 300
#: repo categories (the relative folder a repo sits in)
CATEGORY = 200
#: a git session's key (the helper's ``%Y%m%d-%H%M%S`` session id)
SESSION_KEY = 40
#: a commit id (sha-1 or sha-256, hex)
COMMIT = 64
#: a memory entry's timestamp text as found in its name
TIMESTAMP_RAW = 64
#: a sha256 digest, hex
SHA256 = 64
#: the source of a status snapshot
STATUS_SOURCE = 50
#: an audit action (``resource.verb``)
ACTION = 100
#: an audit resource type
RESOURCE_TYPE = 50
#: the range of an INTEGER column (PostgreSQL int4)
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
