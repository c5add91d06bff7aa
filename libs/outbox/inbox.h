// File: inbox.h
// Idempotent, transactional handling of consumed messages: the inbox row (consumer, message id)
// is written in the same transaction as the handler's effects and outgoing messages.
//
// TransactionalHandler() turns a per-message handler into the BatchHandler of a PullConsumer:
// - one transaction for the whole fetched batch (inbox rows, effects, outbox rows), committed
//   once, then every message is acked; for a batch of first deliveries it is sent in one round
//   trip, its inbox rows inserted without ON CONFLICT (a message recorded before aborts it, and
//   the batch is then handled again with duplicates skipped, as below);
// - if anything in the batch fails, the batch is rolled back and each message is handled again
//   in a transaction of its own, so one bad message never holds back the others;
// - a message whose inbox row exists already (redelivery, duplicate publish) is acked with no
//   effects (INSERT ... ON CONFLICT DO NOTHING, so the transaction is not aborted);
// - a handler error (or an exception thrown by it) rolls back its message's transaction:
//   failures of the infrastructure wait and are retried for as long as it takes, the handler's
//   own unexpected failures are retried, others dead-lettered (messaging::Outcome::ForError);
// - attempts are counted here, not by JetStream (whose count includes the redeliveries caused by
//   outages): a redelivered message's attempt is recorded in `inbox_attempts` before its handler
//   runs (so a message that crashes the process is counted too), given back when the
//   infrastructure failed, and the record removed once handled. A message whose attempts exceed
//   `max_deliver` is dead-lettered without running its handler again.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/messaging/consumer.h"
#include "libs/outbox/unit_of_work.h"
#include "libs/pg/pool.h"

namespace eda::outbox {

using MessageHandler = std::function<absl::Status(UnitOfWork&, const messaging::Message&)>;

// Records `message` as handled by `consumer`. Returns false when it was recorded before.
absl::StatusOr<bool> RecordInbox(pg::Transaction& tx, const std::string& consumer,
                                 const messaging::Message& message);

// Wraps the handler of an order-sensitive consumer (e.g. a projection of price changes): a
// message the outbox numbered (Message::aggregate_seq) is applied only when it is the next one
// of its aggregate for `consumer` (inbox_positions, updated in the same transaction); one already
// passed is acked without effects. One that comes early (an earlier one is still being retried,
// or awaits redelivery after a crash, which takes the ack wait) waits for `gap_wait` from when
// this process first saw it early without counting attempts (Unavailable); after that it fails
// with OutOfRange, which is retried and counts attempts, so a gap that never fills ends in the
// dead-letter stream with the messages after it, to be replayed in order. Messages without a
// number pass straight through.
MessageHandler InOrder(std::string consumer, MessageHandler handler,
                       absl::Duration gap_wait = absl::Minutes(2));

// `pool` must outlive the returned handler. `max_deliver` as the consumer's (0: unlimited).
messaging::BatchHandler TransactionalHandler(pg::Pool& pool, std::string consumer,
                                             MessageHandler handler, int max_deliver = 5);

}  // namespace eda::outbox
