"""The domain: ORM tables, enums, state machines and API schemas (no Qt, no HTTP)."""
