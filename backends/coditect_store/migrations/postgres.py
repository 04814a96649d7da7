"""The PostgreSQL part of migrations 0001, 0002 and 0004: server tables, full-text index, roles,
grants, row-level security, append-only audit and the lookup functions.

Revision 0001 (:func:`upgrade`, unchanged since it was released) granted everything to two
cluster-wide group roles, ``coditect_app`` and ``coditect_lookup``. Revision 0002
(:func:`upgrade_0002`) moves this database's grants, policies and function ownership to
the database's own roles, takes every grant on this database away from the shared roles
(other deployments on the cluster may still use them: they are not dropped), revokes
CONNECT and TEMPORARY from PUBLIC, and makes the audit head move only forward onto an
existing event with its hash. A fresh database runs both, so it ends as an upgraded one.

Design (docs/server.md, "Row-level security"):

* Every table holding ``tenant_id`` has RLS ENABLEd and FORCEd with one policy,
  ``tenant_id = NULLIF(current_setting('app.tenant_id', true), '')`` for USING and WITH
  CHECK: a transaction that has not set its tenant sees and writes nothing. ``tenants``
  is filtered the same way on ``id``.
* Roles are cluster-wide, so every database (deployment) gets its own two group roles
  (0002), named by ``migrate.deployment_roles``: ``coditect_<db>_app`` and
  ``coditect_<db>_lookup``. CONNECT on the database is revoked from PUBLIC and granted to
  the app role only: a login of one deployment can neither connect to another
  deployment's database nor hold any grant there.
* The app connects as a login role that is a member of the app role (NOLOGIN, no
  BYPASSRLS, owns nothing) and sets the tenant per transaction only.
* ``audit_events``: SELECT and INSERT for the app; UPDATE, DELETE and TRUNCATE are not
  granted, and plpgsql triggers refuse them for every role, the owner included.
  ``audit_heads`` only moves forward (0002): an update must advance ``seq``, and a head
  must name an existing event with that event's hash.
* Before a tenant is known (authenticating an API key, opening a handle by tenant name,
  a principal's tenant list) the app calls three SECURITY DEFINER functions owned by
  the lookup role, a NOLOGIN role whose only power is a read-only policy on tenants,
  members and api_keys. The app cannot read those tables around RLS any other way.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR

from coditect_store.migrate import SHARED_ROLES, deployment_roles

#: revision 0001's cluster-wide group roles (0002 leaves them nothing in this database)
APP_ROLE, LOOKUP_ROLE = SHARED_ROLES
POLICY = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')"
TENANT_TABLES = (
    "members",
    "api_keys",
    "projects",
    "repos",
    "git_sessions",
    "memory_entries",
    "memory_fts",
    "status_snapshots",
    "audit_events",
    "audit_heads",
    "api_idempotency",
    "api_rate_buckets",
)
READ_WRITE = (
    "members",
    "api_keys",
    "projects",
    "repos",
    "git_sessions",
    "memory_entries",
    "memory_fts",
    "status_snapshots",
    "api_idempotency",
    "api_rate_buckets",
)
#: the SECURITY DEFINER lookup functions 0001 creates (0002 hands them to the lookup role)
LOOKUP_FUNCTIONS = (
    "coditect_tenant_by_name(p_name text)",
    "coditect_principal_tenants(p_principal text)",
    "coditect_api_key(p_hash text)",
)
#: the tables the lookup role reads (policy ``lookup_read``)
LOOKUP_TABLES = ("tenants", "members", "api_keys")


def _s(length: int | None = None) -> sa.types.TypeEngine:
    return sa.String(length, collation="C") if length else sa.Text(collation="C")


def create_role_sql(name: str, *, group_only: bool = True) -> str:
    """The statement that creates the NOLOGIN group role ``name`` unless it exists.

    Roles are cluster-wide, so two concurrent migrations (of one database, or of several
    for revision 0001's shared roles) may race to create the same role: the loser sees
    ``duplicate_object`` when the winner's role was committed before its CREATE ROLE, or
    ``unique_violation`` (on ``pg_authid_rolname_index``) when both inserted the catalog
    row concurrently. Either means the role now exists, which is all this asks for.

    With ``group_only`` (every role but 0001's shared ones, whose statement is kept as it
    was released: 0002 takes their grants away in the same transaction), a role of that
    name that can log in, is a superuser or bypasses row-level security was not made by
    this statement: it is refused rather than handed the grants.
    """
    refuse = (
        f"""
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}'
                       AND (rolcanlogin OR rolsuper OR rolbypassrls)) THEN
                RAISE EXCEPTION 'role {name} exists and is not a NOLOGIN group role: '
                    'drop or rename it first';
            END IF;"""
        if group_only
        else ""
    )
    return f"""
        DO $$ BEGIN
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN
                    CREATE ROLE {name} NOLOGIN NOSUPERUSER NOBYPASSRLS;
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;{refuse}
        END $$"""


# REVOKE by a role that is not the database's owner only warns: make that an error.
_PUBLIC_CONNECT_CHECK = """
    DO $$ BEGIN
        IF EXISTS (SELECT FROM pg_database d,
                   aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                   WHERE d.datname = current_database() AND a.grantee = 0
                   AND a.privilege_type = 'CONNECT') THEN
            RAISE EXCEPTION 'CONNECT on this database is still granted to PUBLIC: '
                'migrate as the database owner or a superuser';
        END IF;
    END $$"""


def _create_role(op: Any, name: str, *, group_only: bool = True) -> None:
    op.execute(create_role_sql(name, group_only=group_only))


def upgrade(op: Any) -> None:
    """Apply the PostgreSQL-only part of revision 0001 (called by 0001_initial)."""
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    q_schema = '"' + schema.replace('"', '""') + '"'

    op.create_table(
        "memory_fts",
        sa.Column(
            "entry_id",
            _s(36),
            sa.ForeignKey("memory_entries.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("body", _s(), nullable=False),
        sa.Column("tsv", TSVECTOR, nullable=False),
    )
    op.create_index("ix_memory_fts_tsv", "memory_fts", ["tsv"], postgresql_using="gin")
    op.create_table(
        "api_idempotency",
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("principal", _s(200), primary_key=True),
        sa.Column("key", _s(200), primary_key=True),
        sa.Column("fingerprint", _s(64), nullable=False),
        sa.Column("state", _s(10), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("body", _s()),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "api_rate_buckets",
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
    )

    # -- append-only audit log, for every role (the owner included) --------------------
    op.execute("""
        CREATE FUNCTION coditect_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute("""
        CREATE FUNCTION coditect_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.seq < OLD.seq OR NEW.tenant_id <> OLD.tenant_id THEN
                RAISE EXCEPTION 'audit log is append-only'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""")
    for statement in (
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION coditect_audit_append_only()",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION coditect_audit_append_only()",
        "CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads "
        "FOR EACH ROW EXECUTE FUNCTION coditect_audit_append_only()",
        "CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads "
        "FOR EACH STATEMENT EXECUTE FUNCTION coditect_audit_append_only()",
        "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads "
        "FOR EACH ROW EXECUTE FUNCTION coditect_audit_head_forward()",
    ):
        op.execute(statement)

    # -- roles and grants ----------------------------------------------------------------
    _create_role(op, APP_ROLE, group_only=False)
    _create_role(op, LOOKUP_ROLE, group_only=False)
    op.execute(f"GRANT USAGE ON SCHEMA {q_schema} TO {APP_ROLE}, {LOOKUP_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON tenants TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(READ_WRITE)} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON audit_events TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON audit_heads TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON tenants, members, api_keys TO {LOOKUP_ROLE}")

    # -- row-level security ----------------------------------------------------------------
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({POLICY}) WITH CHECK ({POLICY})"
        )
    tenant_policy = "id = NULLIF(current_setting('app.tenant_id', true), '')"
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON tenants USING ({tenant_policy}) "
        f"WITH CHECK ({tenant_policy})"
    )
    for table in ("tenants", "members", "api_keys"):
        op.execute(f"CREATE POLICY lookup_read ON {table} FOR SELECT TO {LOOKUP_ROLE} USING (true)")

    # -- the lookups that run before a tenant is set -------------------------------------
    tenant_cols = "id varchar, name varchar, display_name varchar, tier varchar, created_at varchar"
    definer = f"LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {q_schema}, pg_temp"
    functions = {
        "coditect_tenant_by_name(p_name text)": f"""
            RETURNS TABLE ({tenant_cols}) {definer} AS $$
                SELECT t.id, t.name, t.display_name, t.tier, t.created_at
                FROM tenants t WHERE t.name = p_name
            $$""",
        # Only for a principal who is a member of the tenant the caller acts in.
        "coditect_principal_tenants(p_principal text)": f"""
            RETURNS TABLE ({tenant_cols}) {definer} AS $$
                SELECT t.id, t.name, t.display_name, t.tier, t.created_at
                FROM tenants t JOIN members m ON m.tenant_id = t.id
                WHERE m.name = p_principal AND EXISTS (
                    SELECT 1 FROM members me WHERE me.name = p_principal
                    AND me.tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
                ORDER BY t.name
            $$""",
        "coditect_api_key(p_hash text)": f"""
            RETURNS TABLE (key_id varchar, tenant_id varchar, principal varchar,
                           key_role varchar, member_role varchar, expires_at varchar,
                           revoked_at varchar, tenant_name varchar, display_name varchar,
                           tier varchar, tenant_created_at varchar)
            {definer} AS $$
                SELECT k.id, k.tenant_id, k.principal, k.role, m.role, k.expires_at,
                       k.revoked_at, t.name, t.display_name, t.tier, t.created_at
                FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
                LEFT JOIN members m ON m.tenant_id = k.tenant_id AND m.name = k.principal
                WHERE k.key_hash = p_hash
            $$""",
    }
    owner = op.get_bind().execute(sa.text("SELECT current_user")).scalar_one()
    is_super = (
        op.get_bind()
        .execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        .scalar_one()
    )
    if not is_super:  # ALTER ... OWNER TO needs membership of the new owner
        op.execute(f'GRANT {LOOKUP_ROLE} TO "{owner}"')
    for signature, definition in functions.items():
        op.execute(f"CREATE FUNCTION {signature} {definition}")
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {LOOKUP_ROLE}")
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


# Fails the migration if a shared 0001 role still holds anything in this database (a
# grant, a policy, an object): what 0002 promises, checked by the catalog.
_SHARED_ROLES_CHECK = f"""
    DO $$ BEGIN
        IF EXISTS (SELECT FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid
                   WHERE r.rolname IN ('{APP_ROLE}', '{LOOKUP_ROLE}')
                   AND d.dbid = (SELECT oid FROM pg_database
                                 WHERE datname = current_database())) THEN
            RAISE EXCEPTION 'the shared roles {APP_ROLE}/{LOOKUP_ROLE} still hold grants '
                'in this database after the upgrade: revoke them and migrate again';
        END IF;
    END $$"""


def _may_hand_to(op: Any, role: str) -> None:
    """Let the migrating role hand objects to ``role`` (ALTER ... OWNER TO needs
    membership of the new owner, unless a superuser migrates)."""
    bind = op.get_bind()
    is_super = bind.execute(
        sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar_one()
    if not is_super:
        owner = bind.execute(sa.text("SELECT current_user")).scalar_one()
        op.execute(f'GRANT {role} TO "{owner}"')


def upgrade_0002(op: Any) -> None:
    """Apply the PostgreSQL part of revision 0002 (called by 0002_deployment_roles) to a
    database at 0001: per-database roles in place of the shared ones, no CONNECT or
    TEMPORARY for PUBLIC, and an audit head that moves only forward onto an existing event
    with its hash."""
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    q_schema = '"' + schema.replace('"', '""') + '"'
    database = bind.execute(sa.text("SELECT current_database()")).scalar_one()
    q_database = '"' + database.replace('"', '""') + '"'
    app_role, lookup_role = deployment_roles(database)

    # -- the audit head: only forward, and only onto an event that exists with that hash --
    # (the table is schema-qualified: a caller's temporary table cannot stand in for it)
    op.execute(f"""
        CREATE OR REPLACE FUNCTION coditect_audit_head_forward() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND (NEW.seq <= OLD.seq OR NEW.tenant_id <> OLD.tenant_id) THEN
                RAISE EXCEPTION 'audit log is append-only: the head only moves forward'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT EXISTS (SELECT FROM {q_schema}.audit_events e WHERE e.tenant_id = NEW.tenant_id
                           AND e.seq = NEW.seq AND e.hash = NEW.hash) THEN
                RAISE EXCEPTION 'audit log is append-only: the head must name an event and its hash'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("DROP TRIGGER audit_heads_forward_only ON audit_heads")
    op.execute(
        "CREATE TRIGGER audit_heads_forward_only BEFORE INSERT OR UPDATE ON audit_heads "
        "FOR EACH ROW EXECUTE FUNCTION coditect_audit_head_forward()"
    )

    # -- this database's own roles get what the shared ones had --------------------------
    _create_role(op, app_role)
    _create_role(op, lookup_role)
    op.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {q_database} FROM PUBLIC")
    op.execute(f"GRANT CONNECT ON DATABASE {q_database} TO {app_role}")
    op.execute(_PUBLIC_CONNECT_CHECK)
    op.execute(f"GRANT USAGE ON SCHEMA {q_schema} TO {app_role}, {lookup_role}")
    op.execute(f"GRANT SELECT ON alembic_version TO {app_role}")
    op.execute(f"GRANT SELECT, INSERT ON tenants TO {app_role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(READ_WRITE)} TO {app_role}")
    op.execute(f"GRANT SELECT, INSERT ON audit_events TO {app_role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON audit_heads TO {app_role}")
    op.execute(f"GRANT SELECT ON {', '.join(LOOKUP_TABLES)} TO {lookup_role}")
    for table in LOOKUP_TABLES:
        op.execute(f"ALTER POLICY lookup_read ON {table} TO {lookup_role}")
    _may_hand_to(op, lookup_role)
    for signature in LOOKUP_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {lookup_role}")
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role}")

    # -- the shared roles keep nothing here (other deployments may still use them) --------
    shared = ", ".join(
        bind.execute(
            sa.text("SELECT rolname FROM pg_roles WHERE rolname IN (:app, :lookup)"),
            {"app": APP_ROLE, "lookup": LOOKUP_ROLE},
        ).scalars()
    )
    if shared:
        op.execute(f"REVOKE ALL ON DATABASE {q_database} FROM {shared}")
        op.execute(f"REVOKE ALL ON SCHEMA {q_schema} FROM {shared}")
        for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
            op.execute(f"REVOKE ALL ON ALL {kind} IN SCHEMA {q_schema} FROM {shared}")
        op.execute(_SHARED_ROLES_CHECK)


_API_KEY_0004 = """
    RETURNS TABLE (key_id varchar, tenant_id varchar, principal varchar,
                   key_role varchar, member_role varchar, expires_at varchar,
                   revoked_at varchar, tenant_name varchar, display_name varchar,
                   tier varchar, tenant_created_at varchar, member_expires_at varchar)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        SELECT k.id, k.tenant_id, k.principal, k.role, m.role, k.expires_at,
               k.revoked_at, t.name, t.display_name, t.tier, t.created_at, m.expires_at
        FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        LEFT JOIN members m ON m.tenant_id = k.tenant_id AND m.name = k.principal
        WHERE k.key_hash = p_hash
    $$"""


def upgrade_0004(op: Any) -> None:
    """Apply the PostgreSQL part of revision 0004 (called by 0004_membership_expiry): the
    key lookup also returns the membership's end (``member_expires_at``). Its return type
    changes, so it is dropped and created again with 0002's owner and grants."""
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    q_schema = '"' + schema.replace('"', '""') + '"'
    database = bind.execute(sa.text("SELECT current_database()")).scalar_one()
    app_role, lookup_role = deployment_roles(database)
    signature = "coditect_api_key(p_hash text)"
    op.execute(f"DROP FUNCTION {signature}")
    op.execute(f"CREATE FUNCTION {signature} {_API_KEY_0004.format(schema=q_schema)}")
    op.execute(f"ALTER FUNCTION {signature} OWNER TO {lookup_role}")
    op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role}")


#: the tables revision 0005 adds (row-level security, read-write for the app role)
WEBHOOK_TABLES = ("webhook_subscriptions", "webhook_deliveries")
_WEBHOOK_DUE = """
    RETURNS TABLE (tenant_id varchar)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        SELECT DISTINCT d.tenant_id FROM webhook_deliveries d
        WHERE d.state = 'pending' AND d.next_attempt_at <= p_now
        LIMIT p_limit
    $$"""


def upgrade_0005(op: Any) -> None:
    """Apply the PostgreSQL part of revision 0005 (called by 0005_webhooks): row-level
    security and the app role's grants on the webhook tables, and the worker's lookup of
    the tenants with deliveries due (``coditect_webhook_due``), owned by the lookup role
    as 0002 left the other lookups."""
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    q_schema = '"' + schema.replace('"', '""') + '"'
    database = bind.execute(sa.text("SELECT current_database()")).scalar_one()
    app_role, lookup_role = deployment_roles(database)
    for table in WEBHOOK_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({POLICY}) WITH CHECK ({POLICY})"
        )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(WEBHOOK_TABLES)} TO {app_role}")
    # the lookup role sees which tenants have deliveries due (tenant ids, nothing else)
    op.execute(
        f"GRANT SELECT (tenant_id, state, next_attempt_at) ON webhook_deliveries TO {lookup_role}"
    )
    op.execute(
        f"CREATE POLICY lookup_read ON webhook_deliveries FOR SELECT TO {lookup_role} USING (true)"
    )
    signature = "coditect_webhook_due(p_now text, p_limit integer)"
    op.execute(f"CREATE FUNCTION {signature} {_WEBHOOK_DUE.format(schema=q_schema)}")
    _may_hand_to(op, lookup_role)
    op.execute(f"ALTER FUNCTION {signature} OWNER TO {lookup_role}")
    op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role}")


def _isolate(op: Any, table: str) -> None:
    """Row-level security on a tenant table, as 0001 set it on every one: FORCE, and the
    ``tenant_isolation`` policy (the transaction's tenant only)."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({POLICY}) WITH CHECK ({POLICY})")


def upgrade_0006(op: Any) -> None:
    """Apply the PostgreSQL part of revision 0006 (called by 0006_feature_flags): row-level
    security on ``feature_flags`` as on every tenant table, and the app role's grants."""
    _tenant_table(op, "feature_flags")


def _tenant_table(op: Any, table: str) -> None:
    """Row-level security on the new tenant table ``table`` (FORCE, ``tenant_isolation``)
    and the app role's grants on it."""
    database = op.get_bind().execute(sa.text("SELECT current_database()")).scalar_one()
    app_role, _lookup = deployment_roles(database)
    _isolate(op, table)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {app_role}")


_API_KEY_0007 = """
    RETURNS TABLE (key_id varchar, tenant_id varchar, principal varchar,
                   key_role varchar, member_role varchar, expires_at varchar,
                   revoked_at varchar, tenant_name varchar, display_name varchar,
                   tier varchar, tenant_created_at varchar, member_expires_at varchar,
                   tenant_state varchar)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        SELECT k.id, k.tenant_id, k.principal, k.role, m.role, k.expires_at,
               k.revoked_at, t.name, t.display_name, t.tier, t.created_at, m.expires_at,
               t.state
        FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        LEFT JOIN members m ON m.tenant_id = k.tenant_id AND m.name = k.principal
        WHERE k.key_hash = p_hash
    $$"""


_PRINCIPAL_TENANTS_0007 = """
    RETURNS TABLE (id varchar, name varchar, display_name varchar, tier varchar,
                   created_at varchar, state varchar)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        SELECT t.id, t.name, t.display_name, t.tier, t.created_at, t.state
        FROM tenants t JOIN members m ON m.tenant_id = t.id
        WHERE m.name = p_principal AND EXISTS (
            SELECT 1 FROM members me WHERE me.name = p_principal
            AND me.tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
        ORDER BY t.name
    $$"""


def upgrade_0007(op: Any) -> None:
    """Apply the PostgreSQL part of revision 0007 (called by 0007_tenant_lifecycle): the
    app role may update ``tenants.state`` (under row-level security, so only the tenant
    set for the transaction), and the key lookup and ``coditect_principal_tenants`` also
    return the tenant's state."""
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    q_schema = '"' + schema.replace('"', '""') + '"'
    database = bind.execute(sa.text("SELECT current_database()")).scalar_one()
    app_role, lookup_role = deployment_roles(database)
    op.execute(f"GRANT UPDATE (state) ON tenants TO {app_role}")
    _may_hand_to(op, lookup_role)
    for signature, body in (
        ("coditect_api_key(p_hash text)", _API_KEY_0007),
        ("coditect_principal_tenants(p_principal text)", _PRINCIPAL_TENANTS_0007),
    ):
        op.execute(f"DROP FUNCTION {signature}")
        op.execute(f"CREATE FUNCTION {signature} {body.format(schema=q_schema)}")
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {lookup_role}")
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role}")


_INVITATION = """
    RETURNS TABLE (tenant_id varchar, tenant_name varchar, display_name varchar,
                   tier varchar, tenant_created_at varchar, name varchar, role varchar,
                   tenant_state varchar)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        SELECT i.tenant_id, t.name, t.display_name, t.tier, t.created_at, i.name, i.role,
               t.state
        FROM invitations i JOIN tenants t ON t.id = i.tenant_id
        WHERE i.token_hash = p_hash
    $$"""


def upgrade_0008(op: Any) -> None:
    """Apply the PostgreSQL part of revision 0008 (called by 0008_invitations): row-level
    security and the app role's grants on ``invitations``, and the lookup of a token's
    tenant and its state before any tenant is set (``coditect_invitation``, owned by the
    lookup role as 0002 left the other lookups; it reads only what it returns)."""
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    q_schema = '"' + schema.replace('"', '""') + '"'
    database = bind.execute(sa.text("SELECT current_database()")).scalar_one()
    app_role, lookup_role = deployment_roles(database)
    _isolate(op, "invitations")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO {app_role}")
    op.execute(f"GRANT SELECT (tenant_id, name, role, token_hash) ON invitations TO {lookup_role}")
    op.execute(f"CREATE POLICY lookup_read ON invitations FOR SELECT TO {lookup_role} USING (true)")
    signature = "coditect_invitation(p_hash text)"
    op.execute(f"CREATE FUNCTION {signature} {_INVITATION.format(schema=q_schema)}")
    _may_hand_to(op, lookup_role)
    op.execute(f"ALTER FUNCTION {signature} OWNER TO {lookup_role}")
    op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_role}")


def upgrade_0009(op: Any) -> None:
    """Apply the PostgreSQL part of revision 0009 (called by 0009_api_calls): row-level
    security on ``api_calls`` and the app role's grants (it adds to counts, never deletes
    them)."""
    database = op.get_bind().execute(sa.text("SELECT current_database()")).scalar_one()
    app_role, _lookup = deployment_roles(database)
    _isolate(op, "api_calls")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON api_calls TO {app_role}")


def upgrade_0011(op: Any) -> None:
    """Apply the PostgreSQL part of revision 0011 (called by 0011_principals): row-level
    security on ``principals`` as on every tenant table, and the app role's grants."""
    _tenant_table(op, "principals")
