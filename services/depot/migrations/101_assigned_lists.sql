-- A robot's own assigned list (ClaimShoppingList gives it back first).
CREATE INDEX shopping_lists_assigned_idx ON shopping_lists (assigned_bot_id, created_at)
  WHERE status = 'assigned';
