"""Construction projects, their parties, wage accounts (专户) and wage guarantees (工资保证金)."""
