"""Assets: a member's inventory (hydrants and other assets), service plans and needs."""
