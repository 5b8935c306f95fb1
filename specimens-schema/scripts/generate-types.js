// Placeholder replaced by the schema generator (see specimens-schema/README).
