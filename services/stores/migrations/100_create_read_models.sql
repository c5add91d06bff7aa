CREATE TABLE stores (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  location      text NOT NULL,
  participating boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participating_stores_idx ON stores (participating) WHERE participating;

CREATE TABLE products (
  id          text PRIMARY KEY,
  store_id    text NOT NULL,
  name        text NOT NULL,
  description text NOT NULL,
  sku         text NOT NULL,
  price       decimal(9,4) NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX store_products_idx ON products (store_id);
