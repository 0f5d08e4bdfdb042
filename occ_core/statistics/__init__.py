"""Statistics of the Order's work and the Ministry's yearly monitoring."""
