-- A product belongs to a store that exists: the database checks it in the same round trip as the
-- product's events (AddProduct for an unknown store fails its commit and maps to NOT_FOUND).
ALTER TABLE products ADD CONSTRAINT products_store_id_fkey FOREIGN KEY (store_id) REFERENCES stores (id);
