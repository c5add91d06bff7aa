-- The stores and products a basket can be filled from: caches of the stores context's events
-- (consumers baskets-stores and baskets-products), filled on a miss from the stores service.
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
  price      decimal(9,4) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
