#include "libs/outbox/schema.h"

namespace eda::outbox {

std::vector<pg::Migration> PlatformMigrations() {
  return {
      {1, "platform_outbox_inbox", R"sql(
CREATE TABLE outbox (
  seq          bigserial PRIMARY KEY,        -- insertion order = publish order
  id           text NOT NULL UNIQUE,         -- message id = Nats-Msg-Id
  name         text NOT NULL,
  subject      text NOT NULL,
  data         bytea NOT NULL,               -- the encoded jetstream.StreamMessage
  sent_at      timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
-- The relay scans unpublished rows in seq order; published rows are pruned after a retention
-- period, so vacuum often to keep dead index entries from piling up.
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 5000,
                        autovacuum_analyze_scale_factor = 0.02);

CREATE TABLE inbox (
  consumer    text NOT NULL,                 -- durable consumer name
  id          text NOT NULL,                 -- message id
  name        text NOT NULL,
  subject     text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, id)
);
CREATE INDEX inbox_received_at ON inbox (received_at);
)sql"},
      {2, "platform_event_store", R"sql(
CREATE TABLE events (
  stream_id      text NOT NULL,              -- aggregate id
  stream_type    text NOT NULL,              -- aggregate type, e.g. stores.Store
  stream_version integer NOT NULL,           -- 1, 2, 3, ... per stream
  event_id       text NOT NULL,
  event_name     text NOT NULL,
  event_version  integer NOT NULL,           -- schema version of the payload (upcasting)
  payload        bytea NOT NULL,
  metadata       jsonb NOT NULL DEFAULT '{}',
  occurred_at    timestamptz NOT NULL,
  PRIMARY KEY (stream_id, stream_type, stream_version)
);
CREATE TABLE snapshots (
  stream_id        text NOT NULL,
  stream_type      text NOT NULL,
  stream_version   integer NOT NULL,         -- the version the snapshot reflects
  snapshot_name    text NOT NULL,
  snapshot_version integer NOT NULL,
  payload          bytea NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, stream_type)
);
)sql"},
      {3, "platform_outbox_vacuum", R"sql(
-- The outbox is a queue: every row is updated once (published) and deleted later (pruned).
-- Vacuum it after a fixed number of dead rows rather than a fraction of the table, so the index
-- of unpublished rows never fills up with published ones.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
                        autovacuum_vacuum_cost_delay = 0);
)sql"},
      {4, "platform_outbox_ids_not_indexed", R"sql(
-- Message ids are new UUIDs, and a message written twice is dropped downstream anyway (by
-- JetStream's duplicate window on Nats-Msg-Id, and by every consumer's inbox), so the outbox
-- keeps no unique index on them (maintaining one would cost about as much as writing the row).
ALTER TABLE outbox DROP CONSTRAINT outbox_id_key;
)sql"},
      {5, "platform_inbox_attempts", R"sql(
-- How many times a consumer's handler has started on a redelivered message (JetStream's own
-- delivery count also counts the redeliveries caused by outages, which must never dead-letter).
-- Keyed by stream sequence, so a dead letter replayed later (a new stream message) starts afresh.
-- Rows are removed when the message is handled, and pruned with the inbox otherwise.
CREATE TABLE inbox_attempts (
  consumer   text NOT NULL,
  stream_seq bigint NOT NULL,
  attempts   integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, stream_seq)
);
)sql"},
      {6, "platform_aggregate_order_and_outbox_dead_letters", R"sql(
-- Per-aggregate order. Each outbox row about an aggregate carries the aggregate's id and its
-- number among the aggregate's messages (1, 2, 3, ...; outbox_aggregates holds the last one);
-- the relay never publishes one while an earlier one of the same aggregate is unacknowledged.
ALTER TABLE outbox ADD COLUMN aggregate_id text, ADD COLUMN aggregate_seq bigint,
                   ADD COLUMN attempts integer NOT NULL DEFAULT 0, ADD COLUMN last_error text,
                   ADD COLUMN first_failed_at timestamptz;
CREATE TABLE outbox_aggregates (
  aggregate_id text PRIMARY KEY,
  last_seq     bigint NOT NULL
);
-- Rows the relay could not publish after bounded attempts over a bounded time (a subject no
-- stream takes, one the
-- service may not publish, a message larger than the server accepts): moved here, out of the
-- relay's way; later rows of the same aggregate wait until the operator re-sends or discards it.
CREATE TABLE outbox_dead (
  seq           bigint PRIMARY KEY,
  id            text NOT NULL,
  name          text NOT NULL,
  subject       text NOT NULL,
  data          bytea NOT NULL,
  sent_at       timestamptz NOT NULL,
  aggregate_id  text,
  aggregate_seq bigint,
  attempts      integer NOT NULL,
  last_error    text,
  dead_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_dead_aggregate ON outbox_dead (aggregate_id);
-- Where each order-sensitive consumer is in each aggregate's sequence (outbox::InOrder).
CREATE TABLE inbox_positions (
  consumer     text NOT NULL,
  aggregate_id text NOT NULL,
  seq          bigint NOT NULL,
  PRIMARY KEY (consumer, aggregate_id)
);
)sql"},
      {7, "platform_sagas", R"sql(
-- Saga instances of an orchestrator (libs/saga), one per (saga name, id): the id is the
-- business key (cosec: the order id), so a saga starts once whatever message started it.
CREATE TABLE saga_instances (
  name            text NOT NULL,
  id              text NOT NULL,
  data            bytea NOT NULL,            -- the saga's data, a protobuf message
  step            integer NOT NULL,          -- the step whose command is out (or was last)
  step_name       text NOT NULL DEFAULT '',
  compensating    boolean NOT NULL DEFAULT false,
  done            boolean NOT NULL DEFAULT false,
  status          text NOT NULL,             -- running, compensating, completed, compensated
  command_id      text NOT NULL DEFAULT '',  -- the command whose reply it waits for ('': none)
  command_name    text NOT NULL DEFAULT '',
  attempts        integer NOT NULL DEFAULT 0,  -- sends of the current command
  step_started_at timestamptz NOT NULL,      -- when the current step (or compensation) began
  step_due        timestamptz,               -- when it should have ended: stuck after that
  sent_at         timestamptz,               -- when the current command was sent
  deadline        timestamptz,               -- reply due by / retry due at (NULL when done)
  last_error      text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, id)
);
CREATE INDEX saga_instances_due ON saga_instances (deadline) WHERE NOT done;
CREATE INDEX saga_instances_created ON saga_instances (created_at);
-- What happened to each saga, in order: commands sent, replies taken or ignored, deadlines
-- passed, retries, the end.
CREATE TABLE saga_history (
  seq        bigserial PRIMARY KEY,
  name       text NOT NULL,
  saga_id    text NOT NULL,
  at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  step       integer NOT NULL,
  step_name  text NOT NULL DEFAULT '',
  event      text NOT NULL,    -- started, command, reply, ignored, timeout, retry, completed, ...
  message    text NOT NULL DEFAULT '',  -- the command's or reply's name
  message_id text NOT NULL DEFAULT '',
  outcome    text NOT NULL DEFAULT '',
  detail     text NOT NULL DEFAULT ''
);
CREATE INDEX saga_history_saga ON saga_history (name, saga_id, seq);
)sql"},
      {8, "platform_saga_retention", R"sql(
-- Finished sagas, by age: the orchestrator prunes them (and their history) after a retention.
CREATE INDEX saga_instances_finished ON saga_instances (name, updated_at) WHERE done;
)sql"},
  };
}

}  // namespace eda::outbox
