-- The customers the notices address: a cache of the customers context's events (consumer
-- notification-customers), filled on a miss from the customers service.
CREATE TABLE customers_cache (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  sms_number text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every notice given: at most one per order and notice. idempotency_key is what the receiver of
-- the SMS saw (the order event's message id, or <notice>/<order id> for an RPC).
CREATE TABLE notifications (
  idempotency_key text PRIMARY KEY,
  order_id        text NOT NULL,
  notice          text NOT NULL,
  customer_id     text NOT NULL,
  sms_number      text NOT NULL,
  text            text NOT NULL,
  status          text NOT NULL,  -- sent | skipped (no SMS number)
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, notice)
);
