-- The names orders are shown with: caches of the customers and stores contexts' events
-- (consumers search-customers, search-stores, search-products), filled on a miss from their
-- services.
CREATE TABLE customers_cache (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stores_cache (
  id         text PRIMARY KEY,
  name       text NOT NULL,
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

-- The orders read model (consumer search-orders). items is the JSON list of
-- {product_id, store_id, product_name, store_name, price, quantity}.
CREATE TABLE orders (
  order_id      text PRIMARY KEY,
  customer_id   text NOT NULL,
  customer_name text NOT NULL,
  items         jsonb NOT NULL,
  total         numeric(18, 4) NOT NULL,
  status        text NOT NULL,
  product_ids   text[] NOT NULL,
  store_ids     text[] NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- SearchOrders lists newest first; each index serves a filter in that order.
CREATE INDEX orders_created_idx ON orders (created_at DESC, order_id DESC);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC, order_id DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC, order_id DESC);
CREATE INDEX orders_total_idx ON orders (total);
CREATE INDEX orders_store_ids_idx ON orders USING gin (store_ids);
CREATE INDEX orders_product_ids_idx ON orders USING gin (product_ids);
