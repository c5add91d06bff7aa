#include "libs/pg/migrations.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/pg/transaction.h"

namespace eda::pg {
namespace {

// Arbitrary, fixed: all replicas of one service (one database) must agree on it.
constexpr int64_t kMigrationLockKey = 0x6d616c6c626f7473;  // "mallbots"

absl::Status CheckUniqueVersions(const std::vector<Migration>& migrations) {
  std::set<int> seen;
  for (const Migration& m : migrations) {
    if (!seen.insert(m.version).second) {
      return absl::InvalidArgumentError(absl::StrCat("two migrations have version ", m.version));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Migration>> LoadMigrations(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("migrations directory ", dir, " does not exist"));
  }
  std::vector<Migration> out;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".sql") continue;
    const std::string file = entry.path().filename().string();
    const size_t underscore = file.find('_');
    Migration m;
    if (underscore == std::string::npos ||
        !absl::SimpleAtoi(file.substr(0, underscore), &m.version) || m.version <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration file ", file, " must be named <version>_<name>.sql"));
    }
    m.name = entry.path().stem().string().substr(underscore + 1);
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    m.sql = text.str();
    out.push_back(std::move(m));
  }
  EDA_RETURN_IF_ERROR(CheckUniqueVersions(out));
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

absl::StatusOr<MigrateResult> Migrate(Connection& conn, std::vector<Migration> migrations) {
  EDA_RETURN_IF_ERROR(CheckUniqueVersions(migrations));
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });

  // Session-level lock: held across the per-migration transactions, released on every path.
  EDA_RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_lock($1)", {kMigrationLockKey}).status());
  absl::Cleanup unlock = [&conn] {
    (void)conn.Exec("SELECT pg_advisory_unlock($1)", {kMigrationLockKey});
  };

  EDA_RETURN_IF_ERROR(conn.Exec(R"sql(
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()))sql")
                          .status());
  EDA_ASSIGN_OR_RETURN(Result done, conn.Exec("SELECT version FROM schema_migrations"));
  std::set<int64_t> applied;
  for (int i = 0; i < done.rows(); ++i) {
    EDA_ASSIGN_OR_RETURN(int64_t v, done.Int(i, 0));
    applied.insert(v);
  }

  MigrateResult result;
  for (const Migration& m : migrations) {
    if (applied.count(m.version) > 0) continue;
    const std::string context = absl::StrCat("migration ", m.version, " (", m.name, ")");
    EDA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn));
    // The record first: it also opens the transaction the script then runs in.
    EDA_RETURN_IF_ERROR(
        Annotate(tx.Exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                         {m.version, m.name})
                     .status(),
                 context));
    EDA_RETURN_IF_ERROR(Annotate(conn.ExecScript(m.sql), context));
    EDA_RETURN_IF_ERROR(Annotate(tx.Commit(), context));
    result.applied.push_back(m.version);
    applied.insert(m.version);
  }
  result.current_version = applied.empty() ? 0 : static_cast<int>(*applied.rbegin());
  return result;
}

}  // namespace eda::pg
