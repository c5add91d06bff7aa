// File: migrations.h
// Versioned SQL migrations: each applied once, in version order, recorded in the table
// `schema_migrations`, under a PostgreSQL advisory lock so that replicas starting together are
// safe (the second waits, then finds nothing left to do).
//
// Files are named <version>_<name>.sql (e.g. 001_create_tables.sql). Each migration runs in its
// own transaction together with its record, so a failed migration leaves nothing behind.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/connection.h"

namespace eda::pg {

struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
};

// Reads every *.sql file of `dir`. Errors: NotFound (no such directory), InvalidArgument (a file
// name without a numeric version prefix, or two files with the same version).
absl::StatusOr<std::vector<Migration>> LoadMigrations(const std::string& dir);

struct MigrateResult {
  std::vector<int> applied;  // versions applied by this call
  int current_version = 0;   // highest applied version afterwards
};

// Applies the migrations not yet recorded, in ascending version order. Migrations already
// recorded are never run again, even if their text changed. Errors: the failing migration's
// status, annotated with its version and name; InvalidArgument for duplicate versions.
absl::StatusOr<MigrateResult> Migrate(Connection& conn, std::vector<Migration> migrations);

}  // namespace eda::pg
