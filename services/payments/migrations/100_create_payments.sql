CREATE TABLE payments (
  id          text PRIMARY KEY,
  customer_id text NOT NULL,
  amount      decimal(9,4) NOT NULL,
  status      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invoices (
  id         text PRIMARY KEY,
  order_id   text NOT NULL,
  amount     decimal(9,4) NOT NULL,
  status     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_order_id_idx ON invoices (order_id);
