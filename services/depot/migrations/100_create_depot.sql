CREATE TABLE shopping_lists (
  id              text PRIMARY KEY,
  order_id        text NOT NULL,
  stops           bytea NOT NULL,  -- depot.domain.Stops, serialized
  assigned_bot_id text NOT NULL DEFAULT '',
  status          text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shopping_lists_order_id_idx ON shopping_lists (order_id);
-- The robots' "oldest available list" (ClaimShoppingList).
CREATE INDEX shopping_lists_availability_idx ON shopping_lists (status, created_at)
  WHERE status = 'available';

-- The stores and products the stops are built from: caches of the stores context's events
-- (consumers depot-stores and depot-products), filled on a miss from the stores service.
CREATE TABLE stores_cache (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  location   text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products_cache (
  id         text PRIMARY KEY,
  store_id   text NOT NULL,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
